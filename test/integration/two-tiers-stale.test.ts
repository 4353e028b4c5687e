import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Cache, RedisBackend, cached, detectCache, type CacheOptions } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { recordOperations } from '../support/operation-events.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// What staleIfError can serve from the L1, with real parts: a server of its own, a writer (A)
// straight to it, and the cache under test (B) through a TCP proxy that can black-hole it. An
// entry a `set` elsewhere or a gap expired is kept in B's L1, never served as fresh, and served by
// a cached() with staleIfError when its function throws and Redis gives nothing.
describe('two tiers: staleIfError from the L1', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let proxy: TcpProxy;
  let admin: Redis;
  const open: Cache[] = [];
  let count = 0;

  before(async () => {
    server = await RedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  beforeEach(async () => {
    proxy = await TcpProxy.start(server.port);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()));
    await proxy.close();
  });
  after(async () => {
    admin.disconnect();
    await server.stop();
  });

  async function l1Cache(port: number, namespace: string, options: CacheOptions): Promise<Cache> {
    const logger = recordingLogger().logger;
    const cache = new Cache({
      backend: new RedisBackend({ url: `redis://127.0.0.1:${port}`, maxRetriesPerRequest: 1, logger }),
      namespace,
      l1: true,
      timeout: 500,
      logger,
      ...options,
    });
    open.push(cache);
    await eventually('the L1 is live', () => cache.coherence === 'live');
    return cache;
  }

  // A writer straight to the server, and B (with an L1) through the proxy.
  async function writerAndReader(options: CacheOptions = {}): Promise<[Cache, Cache]> {
    const namespace = `stale-${++count}`;
    return [await l1Cache(server.port, namespace, options), await l1Cache(proxy.port, namespace, options)];
  }

  // The memoised functions under test on B: one with staleIfError, one without, over one source
  // that fails once told to.
  function functionsOn(b: Cache): {
    withStale: (id: string) => Promise<string>;
    without: (id: string) => Promise<string>;
    fail(): void;
  } {
    let failing = false;
    const load = async (id: string): Promise<string> => {
      if (failing) throw new Error('upstream down');
      return `v1-${id}`;
    };
    return {
      withStale: cached(load, { cache: b, key: (id) => `s:${id}`, ttl: '30s', staleIfError: '1m' }),
      without: cached(load, { cache: b, key: (id) => `p:${id}`, ttl: '30s' }),
      fail: () => (failing = true),
    };
  }

  // Calls, then reads until the result is in B's L1.
  async function filledBy(b: Cache, call: () => Promise<string>, key: string): Promise<void> {
    await eventually(`${key} fills the L1`, async () => (await call(), b.peek(key) !== undefined));
  }

  async function failure(call: Promise<unknown>): Promise<string> {
    return (
      (await call.then(
        () => new Error('it did not throw'),
        (error: unknown) => error,
      )) as Error
    ).message;
  }

  it('serves what a set elsewhere expired, with staleIfError, once Redis is black-holed and the function throws', async function () {
    const [a, b] = await writerAndReader();
    const { withStale, without, fail } = functionsOn(b);
    await filledBy(b, () => withStale('1'), 's:1');
    await filledBy(b, () => without('1'), 'p:1');
    await a.set('s:1', 'written elsewhere');
    await a.set('p:1', 'written elsewhere');
    await eventually(
      'B has heard both sets',
      () => b.peek('s:1') === undefined && b.peek('p:1') === undefined,
    );
    expect(b.l1!.entries, 'expired, not dropped').to.equal(2);

    proxy.blackhole();
    fail();
    const operations = recordOperations();
    let detected;
    try {
      detected = await detectCache(() => withStale('1'));
    } finally {
      operations.stop();
    }
    expect(detected.result, 'the stale result, from the L1').to.equal('v1-1');
    expect(detected.hits).to.deep.equal([
      { key: b.storedKey('s:1'), tier: 'l1', stale: true, ttl: undefined },
    ]);
    const traced = operations.settled().filter((ctx) => ctx.op === 'cached');
    expect(traced).to.have.length(1);
    expect(traced[0]).to.include({ stale: true, tier: 'l1' });
    expect(await failure(without('1')), 'without staleIfError').to.equal('upstream down');
  });

  it('serves nothing stale for a key deleted or expired elsewhere, nor after a clear elsewhere', async function () {
    const [a, b] = await writerAndReader();
    const { withStale, fail } = functionsOn(b);
    for (const id of ['1', '2', '3']) await filledBy(b, () => withStale(id), `s:${id}`);
    await a.set('s:1', 'written elsewhere');
    await a.delete('s:2');
    await a.expire('s:3', 60);
    await eventually('B has heard all three', () =>
      ['s:1', 's:2', 's:3'].every((k) => b.peek(k) === undefined),
    );
    expect(b.l1!.entries, 'only the set one kept').to.equal(1);

    proxy.blackhole();
    fail();
    expect(await withStale('1'), 'set elsewhere').to.equal('v1-1');
    expect(await failure(withStale('2')), 'deleted elsewhere').to.equal('upstream down');
    expect(await failure(withStale('3')), 'expired elsewhere').to.equal('upstream down');

    // Back (a gap, which keeps what it expires), then a clear elsewhere drops what was kept.
    await eventually('B has found the break', () => b.coherence === 'degraded', 10_000);
    proxy.heal();
    proxy.resetAll();
    await eventually('B hears again', () => b.coherence === 'live', 20_000);
    expect(b.l1!.entries, 'still kept after the gap').to.equal(1);
    await a.clear();
    await eventually('B has heard the clear', () => b.l1!.entries === 0);
    proxy.blackhole();
    expect(await failure(withStale('1')), 'cleared elsewhere').to.equal('upstream down');
  });

  it('keeps what a gap expired: not served as fresh after it, but served by staleIfError', async function () {
    const [, b] = await writerAndReader();
    const { withStale, without, fail } = functionsOn(b);
    await filledBy(b, () => withStale('1'), 's:1');
    await filledBy(b, () => without('1'), 'p:1');
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await eventually('the gap starts', () => b.peek('s:1') === undefined);
    await eventually('and ends', () => b.coherence === 'live', 20_000);
    expect(b.peek('s:1'), 'filled before the gap: not fresh').to.equal(undefined);
    expect(b.l1!.entries, 'but kept').to.equal(2);

    proxy.blackhole();
    fail();
    expect(await withStale('1')).to.equal('v1-1');
    expect(await failure(without('1')), 'without staleIfError').to.equal('upstream down');
  });

  it('keeps what a tracking invalidation expired (a write by another client), for staleIfError', async function () {
    const [, b] = await writerAndReader({ invalidation: 'tracking' });
    const { withStale, fail } = functionsOn(b);
    await filledBy(b, () => withStale('1'), 's:1');
    await admin.set(b.storedKey('s:1'), '"written by another client"');
    await eventually('B has heard it', () => b.peek('s:1') === undefined);
    expect(b.l1!.entries).to.equal(1);
    proxy.blackhole();
    fail();
    expect(await withStale('1')).to.equal('v1-1');
  });
});
