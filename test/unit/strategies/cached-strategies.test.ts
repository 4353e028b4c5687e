import { expect } from 'chai';
import { Cache, JsonSerializer, MemoryBackend, cached } from '../../../lib/index.js';
import { ManualClock } from '../../../lib/testing/index.js';
import { DelayedBackend } from '../../support/async-backend.js';
import { recordingLogger } from '../../support/recording-logger.js';

/** Runs every promise job queued so far (and those they queue), as a memory cache's calls use no timers. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function counters(cache: Cache): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of cache.scan('k#hits:*')) keys.push(...page);
  return keys;
}

/** Waits (generously) for `check` to hold: for background work whose end nothing announces. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let deadline = Date.now() + 5_000; !(await check());) {
    if (Date.now() > deadline) throw new Error('the condition did not hold within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function cacheOn(clock: ManualClock): Cache {
  return new Cache({
    backend: new MemoryBackend({ clock }),
    serializer: new JsonSerializer(),
    logger: recordingLogger().logger,
  });
}

/** A counting function: each computation answers its own number. */
function counting(): { fn: (id: string) => Promise<string>; computations: () => number } {
  let computations = 0;
  return {
    fn: async (id: string) => `${id}#${++computations}`,
    computations: () => computations,
  };
}

describe('cached() strategies', function () {
  describe('hits', function () {
    it('after a computation answers the next n calls from the cache; call n + 2 computes again', async function () {
      const cache = cacheOn(new ManualClock());
      const load = counting();
      const get = cached(load.fn, { cache, ttl: '1h', hits: 3 });
      expect(await get('a')).to.equal('a#1');
      for (let i = 0; i < 3; i++) expect(await get('a')).to.equal('a#1');
      expect(await get('a')).to.equal('a#2');
      for (let i = 0; i < 3; i++) expect(await get('a')).to.equal('a#2');
      expect(await get('a')).to.equal('a#3');
      expect(load.computations()).to.equal(3);
    });

    it('with lock: call n + 2 computes again, not the entry whose hits it found spent', async function () {
      const cache = cacheOn(new ManualClock());
      const load = counting();
      const get = cached(load.fn, { cache, ttl: '1h', hits: 2, lock: true });
      expect(await get('a')).to.equal('a#1');
      for (let i = 0; i < 2; i++) expect(await get('a')).to.equal('a#1');
      expect(await get('a')).to.equal('a#2');
      for (let i = 0; i < 2; i++) expect(await get('a')).to.equal('a#2');
      expect(await get('a')).to.equal('a#3');
      expect(load.computations()).to.equal(3);
    });

    it('counts concurrent calls exactly: of 10 at once on 3 hits, 3 hit and the others share one computation', async function () {
      const cache = cacheOn(new ManualClock());
      const load = counting();
      const get = cached(load.fn, { cache, ttl: '1h', hits: 3 });
      await get('a');
      const answers = await Promise.all(Array.from({ length: 10 }, () => get('a')));
      expect(answers.filter((a) => a === 'a#1').length).to.equal(3);
      expect(answers.filter((a) => a === 'a#2').length).to.equal(7);
      expect(load.computations()).to.equal(2);
    });

    it('counts on an asynchronous backend too, without a ttl, and the spent counter is removed', async function () {
      const cache = new Cache({
        backend: new DelayedBackend(new MemoryBackend(), 1),
        logger: recordingLogger().logger,
      });
      const load = counting();
      const get = cached(load.fn, { cache, hits: 1, key: 'k' });
      expect(await get('a')).to.equal('a#1');
      expect(await get('a')).to.equal('a#1');
      expect(await get('a')).to.equal('a#2');
      // The spent counter goes (in the background); the new entry's is made by its first hit.
      await eventually(async () => (await counters(cache)).length === 0);
      expect(await get('a')).to.equal('a#2');
      expect((await counters(cache)).length).to.equal(1);
    });

    it('works on the decorator too', async function () {
      const cache = cacheOn(new ManualClock());
      let computations = 0;
      class Repo {
        @cached({ cache, ttl: '1h', hits: 1 })
        async find(id: string): Promise<string> {
          return `${id}#${++computations}`;
        }
      }
      const repo = new Repo();
      expect([await repo.find('a'), await repo.find('a'), await repo.find('a')]).to.deep.equal([
        'a#1',
        'a#1',
        'a#2',
      ]);
    });

    it("gives the hit counter the entry's ttl", async function () {
      const clock = new ManualClock();
      const cache = cacheOn(clock);
      const get = cached(counting().fn, { cache, ttl: '1m', hits: 5, key: 'k', clock });
      await get('a');
      clock.advance(10_000);
      await get('a');
      await settle();
      const [counter] = await counters(cache);
      expect(await cache.ttl(counter!)).to.equal(50_000);
    });

    it("without a ttl of its own, gives the counter the entry's stored ttl (the cache's)", async function () {
      const clock = new ManualClock();
      const cache = new Cache({
        backend: new MemoryBackend({ clock }),
        ttl: '1m',
        logger: recordingLogger().logger,
      });
      const get = cached(counting().fn, { cache, hits: 5, key: 'k', clock });
      await get('a');
      clock.advance(15_000);
      await get('a');
      await settle();
      const [counter] = await counters(cache);
      expect(await cache.ttl(counter!)).to.equal(45_000);
    });
  });

  describe('refreshAhead', function () {
    it('before the fraction, a hit is a plain hit; after it, the value is answered and one background refresh runs', async function () {
      const clock = new ManualClock();
      const cache = cacheOn(clock);
      let computations = 0;
      let release: (() => void) | undefined;
      const get = cached(
        async (id: string) => {
          computations++;
          if (computations > 1) await new Promise<void>((resolve) => (release = resolve));
          return `${id}#${computations}`;
        },
        { cache, ttl: '10s', refreshAhead: 0.8, clock },
      );
      expect(await get('a')).to.equal('a#1');
      clock.advance(7_999);
      expect(await get('a')).to.equal('a#1');
      await settle();
      expect(computations).to.equal(1);
      clock.advance(1);
      // Many callers at once past 80 %: all answered at once with the stored value, one refresh.
      expect(await Promise.all(Array.from({ length: 5 }, () => get('a')))).to.deep.equal(
        Array(5).fill('a#1'),
      );
      await settle();
      expect(await get('a')).to.equal('a#1');
      await settle();
      expect(computations).to.equal(2);
      release!();
      await settle();
      expect(await get('a')).to.equal('a#2');
      // The refreshed entry has a full ttl again, from the refresh.
      expect(await cache.ttl(get.keyFor('a'))).to.equal(10_000);
      expect(computations).to.equal(2);
    });

    it('with lock, a refresh ahead under a lock another holder has is skipped (that holder refreshes)', async function () {
      const clock = new ManualClock();
      const cache = cacheOn(clock);
      const load = counting();
      const get = cached(load.fn, { cache, ttl: '10s', refreshAhead: 0.5, lock: true, clock, key: 'k' });
      await get('a');
      clock.advance(6_000);
      const held = await cache.lock('k', { lease: '1m' });
      expect(await get('a')).to.equal('a#1');
      await settle();
      await settle();
      expect(load.computations()).to.equal(1);
      await held.release();
      expect(await get('a')).to.equal('a#1');
      for (let i = 0; i < 5; i++) await settle();
      expect(load.computations()).to.equal(2);
      expect(await get('a')).to.equal('a#2');
    });

    it('leaves staleTtl as it is: past the ttl a stale result is served while one refresh runs', async function () {
      const clock = new ManualClock();
      const cache = cacheOn(clock);
      const load = counting();
      const get = cached(load.fn, { cache, ttl: '10s', refreshAhead: 0.8, staleTtl: '1m', clock });
      await get('a');
      clock.advance(20_000);
      expect(await get('a')).to.equal('a#1');
      await settle();
      expect(load.computations()).to.equal(2);
      expect(await get('a')).to.equal('a#2');
    });
  });

  describe('jitter', function () {
    it("spreads each stored result's ttl within ± the amount, from the injected random source", async function () {
      const cache = cacheOn(new ManualClock());
      const draws = [0, 0.5, 0.999999];
      const get = cached(counting().fn, { cache, ttl: '100s', jitter: '10%', random: () => draws.shift()! });
      for (const id of ['a', 'b', 'c']) await get(id);
      expect(await cache.ttl(get.keyFor('a'))).to.equal(90_000);
      expect(await cache.ttl(get.keyFor('b'))).to.equal(100_000);
      expect(await cache.ttl(get.keyFor('c'))).to.equal(110_000);
    });

    it('takes a duration, and keeps freshness and the stored ttl in step with staleTtl', async function () {
      const clock = new ManualClock();
      const cache = cacheOn(clock);
      const load = counting();
      const get = cached(load.fn, {
        cache,
        ttl: '10s',
        staleTtl: '5s',
        jitter: '2s',
        random: () => 0,
        clock,
      });
      await get('a');
      expect(await cache.ttl(get.keyFor('a'))).to.equal(13_000);
      clock.advance(7_999);
      expect(await get('a')).to.equal('a#1');
      expect(load.computations()).to.equal(1);
      clock.advance(1);
      // 8 s is the jittered ttl: stale now, so one refresh.
      expect(await get('a')).to.equal('a#1');
      await settle();
      expect(load.computations()).to.equal(2);
    });
  });

  it('refuses bad strategy options with TypeError or RangeError', function () {
    const fn = async (): Promise<number> => 1;
    expect(() => cached(fn, { hits: 0 })).to.throw(RangeError, /hits/);
    expect(() => cached(fn, { hits: 1.5 })).to.throw(RangeError, /hits/);
    expect(() => cached(fn, { ttl: '1m', refreshAhead: 1 })).to.throw(RangeError, /refreshAhead/);
    expect(() => cached(fn, { ttl: '1m', refreshAhead: 0 })).to.throw(RangeError, /refreshAhead/);
    expect(() => cached(fn, { refreshAhead: 0.8 })).to.throw(TypeError, /needs a ttl/);
    expect(() => cached(fn, { ttl: '1m', jitter: '100%' })).to.throw(RangeError, /jitter/);
    expect(() => cached(fn, { ttl: '1m', jitter: '-5%' as never })).to.throw(RangeError, /jitter/);
    expect(() => cached(fn, { jitter: '10%' })).to.throw(TypeError, /needs a ttl/);
    expect(() => cached(fn, { ttl: '1m', jitter: '1s', random: 4 as never })).to.throw(TypeError, /random/);
    expect(() => cached({ hits: -1 })).to.throw(RangeError, /hits/);
  });
});
