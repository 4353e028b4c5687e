import { expect } from 'chai';
import {
  Cache,
  CircuitOpenError,
  JsonSerializer,
  LarderError,
  MemoryBackend,
  RedisBackend,
  circuitBreaker,
} from '../../../lib/index.js';
import { ManualClock } from '../../../lib/testing/index.js';
import { recordingLogger } from '../../support/recording-logger.js';
import { freePort } from '../../support/redis-server.js';

function cacheOn(clock: ManualClock): Cache {
  return new Cache({
    backend: new MemoryBackend({ clock }),
    serializer: new JsonSerializer(),
    logger: recordingLogger().logger,
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A function that fails while `failing` is set, counting its calls. */
function flaky(): { fn: (n: number) => Promise<number>; calls: () => number; fail(on: boolean): void } {
  let failing = true;
  let calls = 0;
  return {
    fn: async (n: number) => {
      calls++;
      if (failing) throw new Error(`boom ${n}`);
      return n;
    },
    calls: () => calls,
    fail: (on) => (failing = on),
  };
}

const OPTIONS = { errorRate: 0.5, minCalls: 4, period: '1m', openFor: '30s', key: 'api' } as const;

describe('circuitBreaker()', function () {
  it('stays closed below minCalls, then opens at errorRate and rejects without calling for openFor', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    const api = flaky();
    const guarded = circuitBreaker(api.fn, { cache, ...OPTIONS });
    api.fail(false);
    await guarded(1);
    api.fail(true);
    for (const n of [2, 3]) expect(((await rejection(guarded(n))) as Error).message).to.equal(`boom ${n}`);
    // 3 calls, 2 failed: below minCalls, still closed. The 4th (3 of 4 failed) opens it.
    expect(((await rejection(guarded(4))) as Error).message).to.equal('boom 4');
    expect(api.calls()).to.equal(4);
    clock.advance(10_000);
    const open = (await rejection(guarded(5))) as CircuitOpenError;
    expect(open).to.be.instanceOf(CircuitOpenError).and.instanceOf(LarderError);
    expect(open.code).to.equal('LARDER_CIRCUIT_OPEN');
    expect(open.key).to.equal('api');
    expect(open.retryAfterMs).to.equal(20_000);
    expect(api.calls()).to.equal(4);
    clock.advance(19_999);
    await rejection(guarded(6));
    expect(api.calls()).to.equal(4);
  });

  it('does not open while the failure rate stays below errorRate', async function () {
    const cache = cacheOn(new ManualClock());
    const api = flaky();
    const guarded = circuitBreaker(api.fn, { cache, ...OPTIONS });
    for (let n = 0; n < 20; n++) {
      api.fail(n % 3 === 1);
      await guarded(n).catch(() => undefined);
    }
    expect(api.calls()).to.equal(20);
  });

  it('counts in windows of `period`: failures of an ended window do not open the circuit', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    const api = flaky();
    const guarded = circuitBreaker(api.fn, { cache, ...OPTIONS });
    for (const n of [1, 2, 3]) await rejection(guarded(n));
    clock.advance(60_000);
    api.fail(false);
    for (const n of [4, 5, 6]) await guarded(n);
    api.fail(true);
    await rejection(guarded(7));
    // 1 failure of 4 in this window: closed.
    api.fail(false);
    expect(await guarded(8)).to.equal(8);
  });

  it('does not open on counts whose window lost its ttl, and gives them one', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    const api = flaky();
    const guarded = circuitBreaker(api.fn, { cache, ...OPTIONS });
    // As if a process had died between the increment of a window's first call and its expire.
    await cache.increment('circuit:api:counts', 3 * (2 ** 26 + 1));
    await rejection(guarded(1));
    expect(await cache.ttl('circuit:api:counts')).to.equal(60_000);
    api.fail(false);
    expect(await guarded(2)).to.equal(2);
    clock.advance(60_000);
    expect(await cache.exists('circuit:api:counts')).to.equal(false);
  });

  it('half-opens after openFor: exactly one trial call reaches the function while the others reject', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    let release!: () => void;
    let calls = 0;
    let failing = true;
    let blocking = true;
    const guarded = circuitBreaker(
      async (n: number) => {
        calls++;
        if (failing) throw new Error('down');
        if (blocking) await new Promise<void>((resolve) => (release = resolve));
        return n;
      },
      { cache, ...OPTIONS, minCalls: 2 },
    );
    await rejection(guarded(1));
    await rejection(guarded(2));
    clock.advance(30_000);
    failing = false;
    const trial = guarded(3);
    const others = await Promise.all([4, 5, 6].map((n) => rejection(guarded(n))));
    for (const other of others) {
      expect(other).to.be.instanceOf(CircuitOpenError);
      expect((other as CircuitOpenError).retryAfterMs).to.equal(0);
    }
    expect(calls).to.equal(3);
    blocking = false;
    release();
    expect(await trial).to.equal(3);
    // Closed: every call passes again.
    expect(await Promise.all([7, 8].map((n) => guarded(n)))).to.deep.equal([7, 8]);
    expect(calls).to.equal(5);
  });

  it('a failed trial opens the circuit again for openFor; a later successful one closes it', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    const api = flaky();
    const guarded = circuitBreaker(api.fn, { cache, ...OPTIONS, minCalls: 2 });
    await rejection(guarded(1));
    await rejection(guarded(2));
    clock.advance(30_000);
    expect(((await rejection(guarded(3))) as Error).message).to.equal('boom 3');
    expect(api.calls()).to.equal(3);
    clock.advance(29_999);
    expect(await rejection(guarded(4))).to.be.instanceOf(CircuitOpenError);
    expect(api.calls()).to.equal(3);
    clock.advance(1);
    api.fail(false);
    expect(await guarded(5)).to.equal(5);
    // Closed, counts reset: one failure after the trial is 1 call, below minCalls.
    api.fail(true);
    await rejection(guarded(6));
    api.fail(false);
    expect(await guarded(7)).to.equal(7);
    expect(api.calls()).to.equal(6);
  });

  it('reset() closes the circuit', async function () {
    const cache = cacheOn(new ManualClock());
    const api = flaky();
    const guarded = circuitBreaker(api.fn, { cache, ...OPTIONS, minCalls: 1 });
    await rejection(guarded(1));
    expect(await rejection(guarded(2))).to.be.instanceOf(CircuitOpenError);
    await guarded.reset(0);
    api.fail(false);
    expect(await guarded(3)).to.equal(3);
  });

  it('fails open when its cache is down, and closed with failClosed', async function () {
    const { logger, records } = recordingLogger();
    const down = new Cache({
      backend: new RedisBackend({ url: `redis://127.0.0.1:${await freePort()}`, logger }),
      timeout: 200,
      logger,
    });
    try {
      const open = circuitBreaker(async () => 'called', { cache: down, ...OPTIONS });
      expect(await open()).to.equal('called');
      expect(records.some((r) => r.level === 40 && /fail open/.test(String(r.msg)))).to.equal(true);
      const closed = circuitBreaker(async () => 'called', { cache: down, ...OPTIONS, failClosed: true });
      expect(await rejection(closed()))
        .to.be.instanceOf(LarderError)
        .and.not.instanceOf(CircuitOpenError);
    } finally {
      await down.close();
    }
  });

  it('refuses bad options with TypeError or RangeError at wrap time', function () {
    const fn = async (): Promise<number> => 1;
    expect(() => circuitBreaker(fn, { ...OPTIONS, errorRate: 0 })).to.throw(RangeError, /errorRate/);
    expect(() => circuitBreaker(fn, { ...OPTIONS, errorRate: 1.5 })).to.throw(RangeError, /errorRate/);
    expect(() => circuitBreaker(fn, { ...OPTIONS, minCalls: 0 })).to.throw(RangeError, /minCalls/);
    expect(() => circuitBreaker(fn, { ...OPTIONS, openFor: 0 })).to.throw(RangeError, /openFor/);
    expect(() => circuitBreaker(fn, { ...OPTIONS, period: 'soon' })).to.throw(RangeError, /period/);
    expect(() => circuitBreaker(fn, { ...OPTIONS, openfor: 1 } as never)).to.throw(TypeError, /did you mean/);
  });
});
