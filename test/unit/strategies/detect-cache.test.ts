import { expect } from 'chai';
import {
  Cache,
  JsonSerializer,
  MemoryBackend,
  cached,
  caches,
  detectCache,
  multiCached,
} from '../../../lib/index.js';
import { ManualClock } from '../../../lib/testing/index.js';
import { DelayedBackend } from '../../support/async-backend.js';
import { recordingLogger } from '../../support/recording-logger.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function cacheOn(clock: ManualClock, namespace?: string): Cache {
  return new Cache({
    backend: new MemoryBackend({ clock }),
    serializer: new JsonSerializer(),
    logger: recordingLogger().logger,
    ...(namespace === undefined ? {} : { namespace }),
  });
}

describe('detectCache()', function () {
  afterEach(async function () {
    await caches.closeAll();
    caches.setConfig({});
  });

  it('notes no hit for a tagged entry whose tag was invalidated (a miss), on every serializer path', async function () {
    for (const serializer of [undefined, new JsonSerializer()]) {
      for (const namespace of [undefined, 'ns']) {
        const cache = new Cache({ backend: new MemoryBackend(), serializer, namespace });
        await cache.set('k', 'v', { tags: ['t'] });
        const before = await detectCache(() => cache.get('k'));
        expect(before.result).to.equal('v');
        expect(before.hits.map((hit) => hit.key)).to.deep.equal([cache.storedKey('k')]);
        await cache.invalidateTags(['t']);
        const after = await detectCache(() => cache.get('k'));
        expect(after.result, `${serializer?.name ?? 'null'} / ${namespace}`).to.equal(undefined);
        expect(after.hits, `${serializer?.name ?? 'null'} / ${namespace}`).to.deep.equal([]);
        await cache.close();
      }
    }
  });

  it('lists the hits of get, getOrSet and cached() made inside it, with their stored key and ttl left', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock, 'app');
    await cache.set('user:1', { id: 1 }, { ttl: '1m' });
    await cache.set('forever', 1);
    const getUser = cached(async (id: number) => ({ id }), { cache, ttl: '10s', key: (id) => `u:${id}` });
    await getUser(7);
    clock.advance(4_000);
    const { result, hits } = await detectCache(async () => {
      const a = await cache.get('user:1');
      const missing = await cache.get('nope');
      const b = await cache.getOrSet('forever', () => 2);
      const c = await getUser(7);
      return [a, missing, b, c];
    });
    expect(result).to.deep.equal([{ id: 1 }, undefined, 1, { id: 7 }]);
    expect(hits).to.deep.equal([
      { key: 'app:user:1', tier: 'l2', stale: false, ttl: 56_000 },
      { key: 'app:forever', tier: 'l2', stale: false, ttl: Infinity },
      { key: 'app:u:7', tier: 'l2', stale: false, ttl: 6_000 },
    ]);
  });

  it('lists each key multiGet and multiCached() found, and none they missed', async function () {
    const cache = cacheOn(new ManualClock(), 'm');
    await cache.multiSet([
      ['a', 1],
      ['b', 2],
    ]);
    const batch = multiCached(async (ids: string[]) => ids.map((id) => id.toUpperCase()), {
      cache,
      ttl: '1m',
      keysFrom: 0,
    });
    await batch(['x']);
    const { result, hits } = await detectCache(async () => [
      await cache.multiGet(['a', 'nope', 'b']),
      await batch(['x', 'y']),
    ]);
    expect(result).to.deep.equal([
      [1, undefined, 2],
      ['X', 'Y'],
    ]);
    expect(hits.map((hit) => [hit.key, hit.ttl])).to.deep.equal([
      ['m:a', Infinity],
      ['m:b', Infinity],
      [`m:${batch.keyFor('x')}`, 60_000],
    ]);
  });

  it('lists nothing for computations, and nothing made outside it', async function () {
    const cache = cacheOn(new ManualClock());
    const get = cached(async (id: string) => id, { cache, ttl: '1m' });
    await cache.set('outside', 1);
    const pending = cache.get('outside');
    const { hits } = await detectCache(async () => {
      await get('a');
      await cache.getOrSet('b', () => 1);
      return pending;
    });
    expect(hits).to.deep.equal([]);
    expect((await detectCache(() => get('a'))).hits.length).to.equal(1);
  });

  it('follows every await on an asynchronous backend, and concurrent scopes see only their own reads', async function () {
    const cache = new Cache({
      backend: new DelayedBackend(new MemoryBackend(), 2),
      logger: recordingLogger().logger,
    });
    const get = cached(async (id: string) => id.toUpperCase(), { cache, ttl: '1m' });
    await get('a');
    await get('b');
    const [one, two] = await Promise.all([
      detectCache(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return get('a');
      }),
      detectCache(async () => [await get('b'), await get('c')]),
    ]);
    expect(one.result).to.equal('A');
    expect(one.hits.map((hit) => hit.key)).to.deep.equal([get.keyFor('a')]);
    expect(two.hits.map((hit) => hit.key)).to.deep.equal([get.keyFor('b')]);
    expect(one.hits[0]!.ttl).to.be.within(1, 60_000);
  });

  it('marks a stale result served as stale, and an expired one it recomputes as no hit', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    const get = cached(async (id: string) => id, { cache, ttl: '10s', staleTtl: '10s', clock });
    await get('a');
    clock.advance(12_000);
    const stale = await detectCache(() => get('a'));
    expect(stale.hits.map((hit) => hit.stale)).to.deep.equal([true]);
    await settle();
    clock.advance(30_000);
    await cache.set(get.keyFor('a'), { __larder_stale__: 1, value: 'a', freshUntil: clock.now() - 60_000 });
    expect((await detectCache(() => get('a'))).hits).to.deep.equal([]);
  });

  it('does not see the reads of a background refresh the caller started (refreshAhead under lock)', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    let release!: () => void;
    let computations = 0;
    const get = cached(
      async (id: string) => {
        if (++computations > 1) await new Promise<void>((resolve) => (release = resolve));
        return id;
      },
      { cache, ttl: '10s', refreshAhead: 0.5, lock: true, clock },
    );
    await get('a');
    clock.advance(6_000);
    const detected = await detectCache(async () => {
      const value = await get('a');
      // The refresh has taken its lock and re-read the entry by now.
      for (let i = 0; i < 5; i++) await settle();
      return value;
    });
    expect(computations).to.equal(2);
    expect(detected.hits.length).to.equal(1);
    release();
  });

  it('counts a read whose hits are spent as no hit', async function () {
    const cache = cacheOn(new ManualClock());
    const get = cached(async (id: string) => id, { cache, ttl: '1m', hits: 1 });
    await get('a');
    expect((await detectCache(() => get('a'))).hits.length).to.equal(1);
    expect((await detectCache(() => get('a'))).hits.length).to.equal(0);
  });

  it("names the registry alias of a registry-built cache, and an enclosing scope sees an inner scope's hits", async function () {
    caches.setConfig({ sessions: { backend: 'memory', namespace: 's' } });
    const sessions = caches.get('sessions');
    await sessions.set('k', 1);
    const outer = await detectCache(async () => {
      const inner = await detectCache(() => sessions.get('k'));
      expect(inner.hits).to.deep.equal([
        { key: 's:k', alias: 'sessions', tier: 'l2', stale: false, ttl: Infinity },
      ]);
      return inner.result;
    });
    expect(outer.result).to.equal(1);
    expect(outer.hits.length).to.equal(1);
  });

  it('rejects as its function does, and refuses a non-function with TypeError', async function () {
    let error: unknown;
    await detectCache(async () => {
      throw new Error('boom');
    }).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('boom');
    error = undefined;
    await detectCache('no' as never).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(TypeError);
  });
});
