import { expect } from 'chai';
import { once } from 'node:events';
import { BackendError, Cache, CacheTimeoutError, RedisBackend, type Logger } from '../../lib/index.js';
import { RedisServer, freePort } from '../support/redis-server.js';
import { recordingLogger } from '../support/recording-logger.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries `attempt` until it resolves or `withinMs` passes; returns its value and how long it took. */
async function eventually<T>(
  attempt: () => Promise<T>,
  withinMs: number,
): Promise<{ value: T; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    try {
      return { value: await attempt(), afterMs: Date.now() - started };
    } catch (error) {
      if (Date.now() - started > withinMs) throw error;
      await sleep(50);
    }
  }
}

/**
 * Settles with `promise`'s outcome and whether it came before a timer of `ms`, started now, fired.
 * Timers fire in the order they fall due, however late a loaded machine runs them, and what a
 * timer's callback settles is seen before the next timer runs: so an operation ended by a time
 * limit shorter than `ms` always comes first. A reading of the wall clock after the fact would
 * instead count every stall of the machine against the operation.
 */
async function beforeTimer(
  promise: Promise<unknown>,
  ms: number,
): Promise<{ inTime: boolean; value?: unknown; error?: unknown }> {
  let fired = false;
  const timer = setTimeout(() => (fired = true), ms);
  try {
    const value = await promise;
    return { inTime: !fired, value };
  } catch (error) {
    return { inTime: !fired, error };
  } finally {
    clearTimeout(timer);
  }
}

function isFailure(error: unknown): boolean {
  return error instanceof BackendError || error instanceof CacheTimeoutError;
}

describe('Redis faults (each test on a redis-server of its own)', function () {
  this.timeout(30_000);
  let server: RedisServer | undefined;
  const caches: Cache[] = [];

  const cacheOn = (
    url: string,
    options: { timeout?: number; safe?: boolean; logger?: Logger } = {},
  ): Cache => {
    const { logger = recordingLogger().logger, ...rest } = options;
    const cache = new Cache({ backend: new RedisBackend({ url, logger }), logger, ...rest });
    caches.push(cache);
    return cache;
  };

  afterEach(async function () {
    server?.resume();
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
    await server?.stop();
    server = undefined;
  });

  it('an unreachable server fails each operation within its timeout, never hanging', async function () {
    const port = await freePort();
    const { logger, records } = recordingLogger();
    const cache = cacheOn(`redis://127.0.0.1:${port}`, { timeout: 500, logger });
    for (const operation of [
      () => cache.get('k'),
      () => cache.set('k', 1),
      () => cache.multiGet(['a', 'b']),
    ]) {
      // Failed by the connection, or at the latest by the 500 ms limit: before a 1.5 s timer.
      const { inTime, error } = await beforeTimer(operation(), 1_500);
      expect(isFailure(error), String(error)).to.equal(true);
      expect(inTime, 'settled before a 1.5 s timer').to.equal(true);
      if (error instanceof BackendError) expect(error.cause).to.be.instanceOf(Error);
    }
    // The connection errors reached pino instead of an unhandled 'error' event.
    expect(records.some((r) => r.level === 40 && /redis connection error/.test(String(r.msg)))).to.equal(
      true,
    );
  });

  it('a server paused with SIGSTOP times out, and the same cache works again after SIGCONT', async function () {
    server = await RedisServer.start();
    const cache = cacheOn(server.url, { timeout: 300 });
    await cache.set('k', 'before');
    server.pause();
    const started = Date.now();
    const { inTime, error } = await beforeTimer(cache.get('k'), 1_000);
    expect(error).to.be.instanceOf(CacheTimeoutError);
    expect(error).to.include({ op: 'get', key: 'k', timeoutMs: 300 });
    // Not before its limit (no timer fires early), and by it: before a 1 s timer.
    expect(Date.now() - started).to.be.at.least(250);
    expect(inTime, 'settled before a 1 s timer').to.equal(true);
    server.resume();
    const { value } = await eventually(() => cache.get('k'), 5_000);
    expect(value).to.equal('before');
    expect(await cache.set('k', 'after')).to.equal(true);
    expect(await cache.get('k')).to.equal('after');
  });

  it('a server killed and restarted on the same port: the same cache recovers without being recreated', async function () {
    server = await RedisServer.start();
    const { logger, records } = recordingLogger();
    const cache = cacheOn(server.url, { timeout: 500, logger });
    await cache.set('k', 1);
    await server.kill();
    const error = await cache.get('k').catch((e: unknown) => e);
    expect(isFailure(error), String(error)).to.equal(true);
    await server.restart();
    // The restarted server kept nothing (no persistence): a miss, then normal service.
    const { value } = await eventually(() => cache.get('k'), 10_000);
    expect(value).to.equal(undefined);
    expect(await cache.set('k', 2)).to.equal(true);
    expect(await cache.get('k')).to.equal(2);
    expect(records.some((r) => r.level === 40 && /redis connection error/.test(String(r.msg)))).to.equal(
      true,
    );
    expect(records.some((r) => r.level === 30 && /ready again/.test(String(r.msg)))).to.equal(true);
  });

  it('safe mode turns every such failure into the degraded answers, with a warning logged', async function () {
    server = await RedisServer.start();
    const { logger, records } = recordingLogger();
    const cache = cacheOn(server.url, { timeout: 300, safe: true, logger });
    await cache.set('k', 1);
    server.pause();
    const answers = await Promise.all([
      cache.get('k'),
      cache.get('k', { default: 'd' }),
      cache.multiGet(['k', 'j']),
      cache.set('k', 2),
      cache.add('new', 2),
      cache.multiSet({ a: 1 }),
      cache.exists('k'),
      cache.expire('k', 1_000),
      cache.ttl('k'),
      cache.delete('k'),
      cache.multiDelete(['k']),
      cache.deletePattern('*'),
      cache.clear(),
    ]);
    expect(answers).to.deep.equal([
      undefined,
      'd',
      [undefined, undefined],
      false,
      false,
      false,
      false,
      false,
      undefined,
      0,
      0,
      0,
      false,
    ]);
    expect(await cache.increment('n').catch((e: unknown) => e)).to.be.instanceOf(CacheTimeoutError);
    const warnings = records.filter((r) => r.level === 40 && /safe mode/.test(String(r.msg)));
    expect(warnings).to.have.length(13);
    server.resume();
    // The commands that timed out were still queued on the connection, and Redis runs them once
    // it wakes (docs/redis.md): so check recovery with a fresh key, not with 'k'.
    // In safe mode a failed set answers false instead of throwing: retry until one is stored.
    await eventually(async () => {
      if (!(await cache.set('after', 'resumed'))) throw new Error('set answered false');
    }, 5_000);
    expect(await cache.get('after')).to.equal('resumed');
  });

  it('safe mode answers a miss at once when Redis is down, without waiting for the timeout', async function () {
    server = await RedisServer.start();
    const cache = cacheOn(server.url, { timeout: 5_000, safe: true });
    await cache.set('k', 1);
    const { client } = cache.backend as RedisBackend;
    const closed = once(client, 'close');
    await server.kill();
    // Once ioredis knows the connection is gone, queued commands fail after one retry.
    await closed;
    // A miss long before the 5 s limit would have given one: before a 4 s timer.
    const { inTime, value } = await beforeTimer(cache.get('k'), 4_000);
    expect(value).to.equal(undefined);
    expect(inTime, 'answered before a 4 s timer').to.equal(true);
  });
});
