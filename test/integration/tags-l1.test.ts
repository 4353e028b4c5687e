import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Cache, RedisBackend, cached, multiCached, type CacheOptions } from '../../lib/index.js';
import { commandCalls, eventually } from '../support/eventually.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { runTs } from '../support/run.js';

function latch<T>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

// The reads that would reach Redis for a get: none of them may be sent by an L1 hit.
const READS = ['get', 'mget', 'pttl', 'multi', 'exec', 'eval', 'evalsha'];

// Tagged entries in the L1 (docs/tags.md, "In the L1"): two caches with L1s of their own over one
// real Redis, as two processes would have them, kept coherent by the bus or by tracking.
describe('tags in the L1: tagged entries and their tags’ tokens held in the L1', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let admin: Redis;
  const open: Cache[] = [];
  let namespaceCount = 0;

  before(async () => {
    server = await RedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  after(async () => {
    admin.disconnect();
    await server.stop();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()));
  });

  async function l1Cache<V = unknown>(namespace: string, options: CacheOptions = {}): Promise<Cache<V>> {
    const cache = new Cache<V>({
      backend: new RedisBackend({ url: server.url }),
      namespace,
      l1: true,
      logger: recordingLogger().logger,
      ...options,
    });
    open.push(cache as Cache);
    await eventually('the L1 is live', () => cache.coherence === 'live');
    return cache;
  }

  async function pair<V = unknown>(options: CacheOptions = {}): Promise<[Cache<V>, Cache<V>, string]> {
    const namespace = `tags-l1-${++namespaceCount}`;
    return [await l1Cache<V>(namespace, options), await l1Cache<V>(namespace, options), namespace];
  }

  // Reads `key` until the read fills the L1 (a read overtaken by the message of an earlier write
  // is not allowed to fill).
  async function filled<V>(cache: Cache<V>, key: string): Promise<V | undefined> {
    let value: V | undefined;
    await eventually(`${key} fills the L1`, async () => {
      value = await cache.get(key);
      return cache.peek(key) !== undefined;
    });
    return value;
  }

  const tagKey = (namespace: string, tag: string): string => `__larder:tag:{t${namespace}}:${tag}`;

  it('answers a tagged L1 hit with no command to Redis: get, multiGet, getOrSet, cached and multiCached', async () => {
    const [a, b] = await pair<number>();
    await a.set('x', 1, { tags: ['product:1', 'catalog'] });
    await a.multiSet(
      [
        ['y', 2],
        ['z', 3],
      ],
      { tags: ['catalog'] },
    );
    let computed = 0;
    const square = cached(async (n: number) => (computed++, n * n), { cache: b as Cache, tags: ['catalog'] });
    const squares = multiCached(async (ns: number[]) => ((computed += ns.length), ns.map((n) => n * n)), {
      cache: b as Cache,
      tags: (_value, id) => [`n:${String(id)}`, 'catalog'],
    });
    expect(await filled(b, 'x')).to.equal(1);
    expect(await filled(b, 'y')).to.equal(2);
    expect(await filled(b, 'z')).to.equal(3);
    expect(await b.getOrSet('w', () => 4, { tags: ['catalog'] })).to.equal(4);
    expect(await filled(b, 'w')).to.equal(4);
    expect(await square(5)).to.equal(25);
    await filled(b, square.keyFor(5));
    expect(await squares([6, 7])).to.deep.equal([36, 49]);
    await filled(b, squares.keyFor(6));
    await filled(b, squares.keyFor(7));
    expect(computed).to.equal(3);

    const before = await commandCalls(admin);
    for (let i = 0; i < 50; i++) {
      expect(await b.get('x')).to.equal(1);
      expect(await b.multiGet(['x', 'y', 'z'])).to.deep.equal([1, 2, 3]);
      expect(await b.getOrSet('w', () => -1, { tags: ['catalog'] })).to.equal(4);
      expect(await square(5)).to.equal(25);
      expect(await squares([6, 7])).to.deep.equal([36, 49]);
      expect(b.peek('x')).to.equal(1);
    }
    const after = await commandCalls(admin);
    for (const command of [...READS, 'set']) {
      expect(after.get(command) ?? 0, command).to.equal(before.get(command) ?? 0);
    }
    expect(computed).to.equal(3);
  });

  it('reads only the tokens the L1 lost (one MGET, no GET), then hits with none', async () => {
    // Room for the entry, its tag and one more key: reading that key evicts the tag's token.
    const [a, b] = await pair<string>({ l1: { maxSize: 2 } });
    await a.set('k', 'v', { tags: ['t'] });
    await a.set('plain', 'p');
    // Filled by reads alone (no hit: a hit marks the tag's token used, and eviction spares it once).
    await eventually('k and its tag fill the L1', async () => {
      expect(await b.get('k')).to.equal('v');
      return b.l1!.entries === 2; // the entry and its tag's token
    });
    expect(await filled(b, 'plain')).to.equal('p');
    expect(b.peek('k'), 'its token was evicted').to.equal(undefined);

    const before = await commandCalls(admin);
    expect(await b.get('k')).to.equal('v');
    const after = await commandCalls(admin);
    expect((after.get('mget') ?? 0) - (before.get('mget') ?? 0), 'MGET').to.equal(1);
    expect((after.get('get') ?? 0) - (before.get('get') ?? 0), 'GET').to.equal(0);
    expect((after.get('exec') ?? 0) - (before.get('exec') ?? 0), 'EXEC').to.equal(0);
    expect(b.peek('k')).to.equal('v');
    const again = await commandCalls(admin);
    expect(await b.get('k')).to.equal('v');
    const last = await commandCalls(admin);
    for (const command of READS) expect(last.get(command) ?? 0, command).to.equal(again.get(command) ?? 0);
  });

  for (const invalidation of ['bus', 'tracking'] as const) {
    it(`${invalidation}: invalidateTags in one cache makes the other's tagged L1 entries miss, and its own at once`, async () => {
      const [a, b] = await pair<string>({ invalidation });
      await a.set('p1', 'one', { tags: ['product:1', 'catalog'] });
      await a.set('p2', 'two', { tags: ['catalog'] });
      await a.set('other', 'o', { tags: ['elsewhere'] });
      await a.set('plain', 'x');
      for (const cache of [a, b]) {
        for (const key of ['p1', 'p2', 'other', 'plain']) await filled(cache, key);
      }
      expect(await a.invalidateTags(['catalog'])).to.equal(1);
      // The invalidating cache's own L1 dropped the tag before the call resolved.
      expect(a.peek('p1')).to.equal(undefined);
      expect(a.peek('p2')).to.equal(undefined);
      // The other hears of it (the bus's message, or Redis' tracking invalidation).
      await eventually(
        "the other cache's L1 stops serving the tagged entries",
        () => b.peek('p1') === undefined,
      );
      expect(b.peek('p2')).to.equal(undefined);
      for (const cache of [a, b]) {
        expect(await cache.multiGet(['p1', 'p2', 'other', 'plain'])).to.deep.equal([
          undefined,
          undefined,
          'o',
          'x',
        ]);
        // Entries of other tags, and untagged ones, are still served from the L1.
        expect(cache.peek('other')).to.equal('o');
        expect(cache.peek('plain')).to.equal('x');
      }
      // Written again, an entry is current again, and held again.
      await a.set('p1', 'one again', { tags: ['catalog'] });
      expect(await filled(b, 'p1')).to.equal('one again');
    });
  }

  it('bus: an invalidation made by another process reaches this L1', async () => {
    const [b, , namespace] = await pair<string>();
    await b.set('k', 'v', { tags: ['t'] });
    expect(await filled(b, 'k')).to.equal('v');
    // The other process's cache has an L1 too: a cache that publishes (see docs/tiers.md).
    const invalidated = await runTs('test/fixtures/tags-worker.ts', [
      `${server.url}?l1=100`,
      namespace,
      'invalidate',
      't',
    ]);
    expect(invalidated.code, invalidated.stderr).to.equal(0);
    expect(invalidated.stdout.trim()).to.equal('1');
    await eventually('the L1 stops serving the entry', () => b.peek('k') === undefined);
    expect(await b.get('k')).to.equal(undefined);
  });

  it('tracking: a tag key deleted or overwritten by a raw command makes its entries read as missing', async () => {
    const [a, b, namespace] = await pair<string>({ invalidation: 'tracking' });
    await a.set('k1', 'v1', { tags: ['t1'] });
    await a.set('k2', 'v2', { tags: ['t2'] });
    expect(await filled(b, 'k1')).to.equal('v1');
    expect(await filled(b, 'k2')).to.equal('v2');
    await admin.del(tagKey(namespace, 't1'));
    await admin.set(tagKey(namespace, 't2'), 'a token nobody holds');
    await eventually(
      'the L1 stops serving both entries',
      () => b.peek('k1') === undefined && b.peek('k2') === undefined,
    );
    expect(await b.get('k1')).to.equal(undefined);
    expect(await b.get('k2')).to.equal(undefined);
    expect(await b.get('k1')).to.equal(undefined);
  });

  it('the compute race: a tag invalidated while the factory runs leaves its result unserved by any L1', async () => {
    const [a, b] = await pair<string>();
    await b.set('seed', 's', { tags: ['t'] });
    // b holds the tag's token before the computation starts.
    await filled(b, 'seed');
    const gate = latch<string>();
    const started = [latch<void>(), latch<void>()];
    const load = cached(
      async (id: string) => {
        started[0]!.open();
        return `${await gate.promise} ${id}`;
      },
      { cache: b as Cache, tags: ['t'] },
    );
    const first = b.getOrSet(
      'k',
      async () => {
        started[1]!.open();
        return gate.promise;
      },
      { tags: ['t'] },
    );
    const second = load('1');
    // Both factories run: their tags' tokens were taken.
    await Promise.all(started.map(({ promise }) => promise));
    await a.invalidateTags(['t']);
    await eventually('b hears of the invalidation', () => b.peek('seed') === undefined);
    gate.open('old');
    expect(await first).to.equal('old');
    expect(await second).to.equal('old 1');
    for (let i = 0; i < 5; i++) {
      for (const cache of [a, b]) {
        expect(await cache.get('k')).to.equal(undefined);
        expect(await cache.get(load.keyFor('1'))).to.equal(undefined);
        expect(cache.peek('k')).to.equal(undefined);
        expect(cache.peek(load.keyFor('1'))).to.equal(undefined);
      }
    }
    // Computed again after the invalidation, the result is stored, served and held.
    expect(await b.getOrSet('k', () => 'new', { tags: ['t'] })).to.equal('new');
    expect(await filled(a, 'k')).to.equal('new');
    expect(await filled(b, 'k')).to.equal('new');
  });

  it('a gap expires the tags’ tokens with every entry: they are read again afterwards', async () => {
    const [a, b] = await pair<string>();
    await a.set('k', 'v', { tags: ['t'] });
    expect(await filled(b, 'k')).to.equal('v');
    expect(b.l1!.entries).to.equal(2);
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await eventually('the gap expired the L1', () => b.peek('k') === undefined);
    await eventually('b hears again', () => b.coherence === 'live');
    // Expired by the gap (kept for staleIfError at most), the entry and its tag's token are not served.
    expect(b.peek('k')).to.equal(undefined);
    // Nothing from before the gap is served: an invalidation b could not hear is seen.
    await admin.set(tagKey(b.namespace!, 't'), 'changed during the gap');
    expect(await b.get('k')).to.equal(undefined);
    await a.set('k', 'v2', { tags: ['t'] });
    expect(await filled(b, 'k')).to.equal('v2');
  });
});
