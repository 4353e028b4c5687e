import { expect } from 'chai';
import { Redis } from 'ioredis';
import {
  Cache,
  KeyExistsError,
  RedisBackend,
  cached,
  detectCache,
  multiCached,
  type CacheOptions,
  type Plugin,
} from '../../lib/index.js';
import { Bus } from '../../lib/tiers/bus.js';
import type { InvalidationSink } from '../../lib/tiers/invalidation.js';
import { commandCalls, eventually } from '../support/eventually.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisServer } from '../support/redis-server.js';

// Two caches with L1s over one real Redis, as two processes would have them (separate L1s,
// separate connections, one process): what one writes, the other stops serving.
describe('two tiers: an L1 over Redis kept coherent by the bus', function () {
  this.timeout(30_000);
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

  // A cache with an L1 of its own, live (subscribed) before it is used.
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

  // Reads `key` until the read fills the L1: a read with the message of an earlier write still on
  // its way is not allowed to fill (the race guard cannot tell it from a later write's).
  async function filled<V>(cache: Cache<V>, key: string): Promise<V | undefined> {
    let value: V | undefined;
    await eventually(`${key} fills the L1`, async () => {
      value = await cache.get(key);
      return cache.peek(key) !== undefined;
    });
    return value;
  }

  async function pair<V = unknown>(options: CacheOptions = {}): Promise<[Cache<V>, Cache<V>, string]> {
    const namespace = `tiers-${++namespaceCount}`;
    return [await l1Cache<V>(namespace, options), await l1Cache<V>(namespace, options), namespace];
  }

  it('answers an L1 hit without a command to Redis, for get, multiGet, getOrSet, cached and multiCached', async function () {
    const [a, b] = await pair<number>();
    await a.multiSet([
      ['x', 1],
      ['y', 2],
    ]);
    let computed = 0;
    const square = cached(async (n: number) => (computed++, n * n), { cache: b as Cache });
    const squares = multiCached(async (ns: number[]) => ((computed += ns.length), ns.map((n) => n * n)), {
      cache: b as Cache,
    });
    // Each fills its keys: from Redis, or computed and stored, then read back once.
    expect(await filled(b, 'x')).to.equal(1);
    expect(await filled(b, 'y')).to.equal(2);
    expect(await b.multiGet(['x', 'y'])).to.deep.equal([1, 2]);
    expect(await b.getOrSet('z', () => 3)).to.equal(3);
    expect(await filled(b, 'z')).to.equal(3);
    expect(await square(4)).to.equal(16);
    await filled(b, square.keyFor(4));
    expect(await squares([5, 6])).to.deep.equal([25, 36]);
    await filled(b, squares.keyFor(5));
    await filled(b, squares.keyFor(6));
    expect(computed).to.equal(3);

    const before = await commandCalls(admin);
    for (let i = 0; i < 50; i++) {
      expect(await b.get('x')).to.equal(1);
      expect(await b.multiGet(['x', 'y', 'z'])).to.deep.equal([1, 2, 3]);
      expect(await b.getOrSet('z', () => -1)).to.equal(3);
      expect(await square(4)).to.equal(16);
      expect(await squares([5, 6])).to.deep.equal([25, 36]);
    }
    const after = await commandCalls(admin);
    for (const command of ['get', 'mget', 'pttl', 'exec', 'multi', 'set', 'eval']) {
      expect(after.get(command) ?? 0, command).to.equal(before.get(command) ?? 0);
    }
    expect(b.peek('x')).to.equal(1);
    expect(computed).to.equal(3);
  });

  it('answers a memoised L1 hit on the spot (no promise of the cache of its own under cached())', async function () {
    const [, b] = await pair<string>();
    const echo = cached(async (id: string) => `v${id}`, { cache: b as Cache });
    await echo('1');
    await filled(b, echo.keyFor('1'));
    expect(b.peek(echo.keyFor('1'))).to.equal('v1');
    // The hit is answered by the wrapper without a get: a get would be seen by a plugin; here the
    // cache's get is replaced to count calls.
    let gets = 0;
    const get = b.get.bind(b);
    (b as { get: unknown }).get = (...args: Parameters<typeof b.get>) => (gets++, get(...args));
    expect(await echo('1')).to.equal('v1');
    expect(gets).to.equal(0);
  });

  it('stops serving a key in the other cache after each kind of write, with the new value read from Redis', async function () {
    const [a, b] = await pair<unknown>();
    const writes: [string, (key: string) => Promise<unknown>, unknown][] = [
      ['set', (key) => a.set(key, 'new'), 'new'],
      ['add', async (key) => (await a.delete(key), b.peek(key), a.add(key, 'added')), 'added'],
      ['multiSet', (key) => a.multiSet([[key, 'many']]), 'many'],
      ['increment', async (key) => (await admin.set(`${a.namespace}:${key}`, '41'), a.increment(key)), 42],
      ['expire', (key) => a.expire(key, 1), undefined],
      ['delete', (key) => a.delete(key), undefined],
      ['multiDelete', (key) => a.multiDelete([key, 'other']), undefined],
      ['deletePattern', () => a.deletePattern('*'), undefined],
      ['clear', () => a.clear(), undefined],
    ];
    for (const [name, write, expected] of writes) {
      const key = `k-${name}`;
      await a.set(key, name === 'increment' ? 1 : 'old');
      await filled(b, key);
      await write(key);
      await eventually(`${name}: the other L1 drops ${key}`, () => b.peek(key) === undefined);
      if (name === 'expire')
        await eventually('expired in Redis', async () => (await a.ttl(key)) === undefined);
      expect(await b.get(key), name).to.deep.equal(expected);
    }
  });

  it("drops the writer's own L1 entry at its write, and ignores its own echo", async function () {
    const [a, b, namespace] = await pair<string>();
    await a.set('k', 'v1');
    expect(await filled(a, 'k')).to.equal('v1');
    await a.set('k', 'v2');
    expect(a.peek('k'), 'dropped at the acknowledgement').to.equal(undefined);
    expect(await a.get('k')).to.equal('v2');

    // Two buses on one channel with recording sinks: messages on a channel arrive in order, so
    // once A has heard B's later message it has heard (and ignored) its own earlier one.
    const heard = (): { sink: InvalidationSink; keys: string[] } => {
      const keys: string[] = [];
      const sink: InvalidationSink = {
        expire: (expired) => keys.push(...expired),
        remove: (removed) => keys.push(...removed),
        expireAll: () => keys.push('*'),
        removeAll: () => keys.push('*'),
        down: () => undefined,
        up: () => undefined,
      };
      return { sink, keys };
    };
    const context = {
      client: (b.backend as RedisBackend).client,
      prefixes: [`${namespace}:`],
      channel: `echo-test-${namespace}`,
      healthCheckMs: 0,
      logger: recordingLogger().logger,
    };
    const [busA, busB] = [new Bus(context), new Bus(context)];
    const [heardA, heardB] = [heard(), heard()];
    await Promise.all([busA.start(heardA.sink), busB.start(heardB.sink)]);
    busA.published('set', ['from-a']);
    await eventually('B hears A', () => heardB.keys.includes('from-a'));
    busB.published('delete', ['from-b']);
    await eventually('A hears B', () => heardA.keys.includes('from-b'));
    expect(heardA.keys).to.deep.equal(['from-b']);
    expect(heardB.keys).to.deep.equal(['from-a']);
    await Promise.all([busA.close(), busB.close()]);
  });

  it('tells no one of a write Redis refused', async function () {
    const [a, b, namespace] = await pair<string>();
    // Written behind the caches' backs: no message of these writes can come late and evict.
    await admin.mset(`${namespace}:k`, '"v"', `${namespace}:sync`, '"v"');
    await filled(b, 'k');
    await filled(b, 'sync');
    await a.add('k', 'again').then(
      () => expect.fail('add of an existing key'),
      (error: unknown) => expect(error).to.be.instanceOf(KeyExistsError),
    );
    // A later write's message arrives after any the refused write could have sent.
    await a.set('sync', 'w');
    await eventually('the later write is heard', () => b.peek('sync') === undefined);
    expect(b.peek('k')).to.equal('v');
  });

  it('clears only its own namespace, in every L1', async function () {
    const [a1, b1, one] = await pair<string>();
    const [a2, b2, two] = await pair<string>();
    await admin.mset(`${one}:k`, '"one"', `${two}:k`, '"two"', `${two}:sync`, '"s"');
    await Promise.all([filled(b1, 'k'), filled(b2, 'k'), filled(a2, 'k')]);
    await a1.clear();
    await eventually('namespace 1 cleared in the other L1', () => b1.peek('k') === undefined);
    // Namespace 2's own message would arrive on its own channel: a write there, heard, proves
    // that the clear of namespace 1 said nothing to it.
    await filled(b2, 'sync');
    await a2.set('sync', 't');
    await eventually('namespace 2 hears its own writes', () => b2.peek('sync') === undefined);
    expect(b2.peek('k')).to.equal('two');
    expect(a2.peek('k')).to.equal('two');
    expect(await b2.get('k')).to.equal('two');
  });

  it('never keeps an entry past its ttl in Redis', async function () {
    const [a, b] = await pair<string>();
    await a.set('short', 'v', { ttl: 300 });
    expect(await filled(b, 'short')).to.equal('v');
    await eventually('gone from Redis', async () => (await admin.exists(`${b.namespace}:short`)) === 0);
    expect(b.peek('short')).to.equal(undefined);
    expect(await b.get('short')).to.equal(undefined);
  });

  it('reads past the L1 with { l1: false }, and with another namespace', async function () {
    const [a, b] = await pair<string>();
    await admin.set(`${b.namespace}:k`, '"v1"');
    await filled(b, 'k');
    await admin.set(`${b.namespace}:k`, JSON.stringify('behind'));
    expect(await b.get('k')).to.equal('v1');
    expect(await b.get('k', { l1: false })).to.equal('behind');
    expect(b.peek('k'), 'refilled by the read past it').to.equal('behind');
    await a.set('k', 'elsewhere', { namespace: 'other-space' });
    await b.get('k', { namespace: 'other-space' });
    expect(b.peek('k')).to.equal('behind');
    expect(await b.multiGet(['k'], { l1: false })).to.deep.equal(['behind']);
  });

  it('tells the caches of another namespace of a write made with a per-call namespace', async function () {
    const [a] = await pair<string>();
    const [, other, otherSpace] = await pair<string>();
    await admin.set(`${otherSpace}:k`, '"v1"');
    await filled(other, 'k');
    await a.set('k', 'v2', { namespace: otherSpace });
    await eventually('the other namespace heard it', () => other.peek('k') === undefined);
    expect(await other.get('k')).to.equal('v2');
    await filled(other, 'k');
    await a.delete('k', { namespace: otherSpace });
    await eventually('and its delete', () => other.peek('k') === undefined);
  });

  it("tells plugins which tier answered (tier: 'l1' | 'l2')", async function () {
    const tiers: unknown[] = [];
    const plugin: Plugin = {
      postGet: ({ tier }) => void tiers.push(tier),
      postMultiGet: ({ tier }) => void tiers.push(`multi-${String(tier)}`),
    };
    const [, b] = await pair<string>({ plugins: [plugin] });
    // Written by B itself (no message comes back to it) so that nothing evicts what it fills.
    await b.set('k', 'v');
    expect(await b.get('k')).to.equal('v');
    expect(await b.get('k')).to.equal('v');
    expect(await b.get('k', { l1: false })).to.equal('v');
    expect(await b.multiGet(['k'])).to.deep.equal(['v']);
    expect(await b.multiGet(['k', 'missing'])).to.deep.equal(['v', undefined]);
    expect(tiers).to.deep.equal(['l2', 'l1', 'l2', 'multi-l1', 'multi-l2']);
  });

  it("holds decoded values by reference, or a copy per read with copy: 'clone'", async function () {
    const [a, b] = await pair<{ n: number }>({ l1: { copy: 'clone' } });
    await a.set('k', { n: 1 });
    await filled(b, 'k');
    const first = (await b.get('k'))!;
    first.n = 2;
    expect(await b.get('k')).to.deep.equal({ n: 1 });
    const [, d] = await pair<{ n: number }>();
    await admin.set(`${d.namespace}:k`, '{"n":1}');
    await filled(d, 'k');
    expect(await d.get('k')).to.equal(await d.get('k'));
  });

  it("tells detectCache which tier answered a get, a multiGet and a cached() hit ('l1' | 'l2')", async function () {
    const c = await l1Cache<number>('detect-tier');
    await c.set('a', 1);
    await c.set('b', 2);
    const first = await detectCache(() => c.get('a'));
    expect(first.result).to.equal(1);
    expect(first.hits.map((hit) => [hit.key, hit.tier])).to.deep.equal([['detect-tier:a', 'l2']]);
    await filled(c, 'a');
    const again = await detectCache(() => c.get('a'));
    expect(again.hits.map((hit) => hit.tier)).to.deep.equal(['l1']);
    expect(again.hits[0]!.ttl).to.equal(Infinity);
    const both = await detectCache(() => c.multiGet(['a', 'b', 'missing']));
    expect(both.result).to.deep.equal([1, 2, undefined]);
    expect(both.hits.map((hit) => [hit.key, hit.tier])).to.deep.equal([
      ['detect-tier:a', 'l1'],
      ['detect-tier:b', 'l2'],
    ]);
    let loads = 0;
    const double = cached((n: number) => (loads++, n * 2), {
      cache: c as Cache<unknown>,
      key: (n) => `double:${n}`,
    });
    expect(await double(4)).to.equal(8);
    await filled(c as Cache<unknown>, 'double:4');
    const hit = await detectCache(() => double(4));
    expect(hit.result).to.equal(8);
    expect(loads).to.equal(1);
    expect(hit.hits.map((h) => [h.key, h.tier])).to.deep.equal([['detect-tier:double:4', 'l1']]);
  });
});
