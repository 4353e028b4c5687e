import { expect } from 'chai';
import { Cache, MemoryBackend, cached, multiCached } from '../../../lib/index.js';
import { DelayedBackend } from '../../support/async-backend.js';
import { recordingLogger } from '../../support/recording-logger.js';

const later = <T>(value: T): Promise<T> => new Promise((resolve) => setImmediate(() => resolve(value)));

describe('the read-through engine', function () {
  describe('getOrSet', function () {
    describe('over a backend that answers with promises', function () {
      // A memory store behind a timer, counting the reads that reach it.
      const counted = (): { cache: Cache; reads: () => number } => {
        let reads = 0;
        const inner = new (class extends MemoryBackend {
          override get(key: string): unknown {
            reads++;
            return super.get(key);
          }
        })();
        return { cache: new Cache({ backend: new DelayedBackend(inner, 1), ttl: '1h' }), reads: () => reads };
      };

      it('answers a hit with one read and no factory call, a stored null included', async function () {
        const { cache, reads } = counted();
        await cache.set('k', 'v');
        await cache.set('n', null);
        let calls = 0;
        expect(await cache.getOrSet('k', () => (calls++, 'other'), { ttl: '1h' })).to.equal('v');
        expect(await cache.getOrSet('n', () => (calls++, 'other'))).to.equal(null);
        expect(calls).to.equal(0);
        expect(reads()).to.equal(2);
      });

      it('cached(): concurrent hits each read, concurrent misses share one call of the function', async function () {
        const { cache, reads } = counted();
        let calls = 0;
        const fn = cached(async (id: string) => (calls++, later(`v-${id}`)), { cache });
        expect(await Promise.all([fn('a'), fn('a'), fn('a')])).to.deep.equal(['v-a', 'v-a', 'v-a']);
        expect(calls, 'one call for the concurrent misses').to.equal(1);
        const before = reads();
        expect(await Promise.all([fn('a'), fn('a')])).to.deep.equal(['v-a', 'v-a']);
        expect(calls, 'hits call nothing').to.equal(1);
        expect(reads() - before, 'each hit is one read').to.equal(2);
      });

      it('reads a miss once, computes once for concurrent callers, and stores the result', async function () {
        const { cache, reads } = counted();
        let calls = 0;
        const factory = () => (calls++, later('computed'));
        const answers = await Promise.all([cache.getOrSet('k', factory), cache.getOrSet('k', factory)]);
        expect(answers).to.deep.equal(['computed', 'computed']);
        expect(calls).to.equal(1);
        expect(reads(), 'one read per caller, none again by the computation').to.equal(2);
        expect(await cache.get('k')).to.equal('computed');
      });
    });

    it('shares one factory call between concurrent callers asking for the same ttl', async function () {
      const cache = new Cache();
      let calls = 0;
      const factory = () => (calls++, later('v'));
      const answers = await Promise.all([
        cache.getOrSet('k', factory, { ttl: '1m' }),
        cache.getOrSet('k', factory, { ttl: 60_000 }),
        cache.getOrSet('k', factory, { ttl: '1m' }),
      ]);
      expect(answers).to.deep.equal(['v', 'v', 'v']);
      expect(calls).to.equal(1);
    });

    it("never hands a concurrent caller asking for another ttl the first caller's computation", async function () {
      const cache = new Cache();
      const short = cache.getOrSet('k', () => later('short'), { ttl: '1m' });
      const long = cache.getOrSet('k', () => later('long'), { ttl: '1h' });
      expect(await short).to.equal('short');
      expect(await long).to.equal('long');
      const ttl = await cache.ttl('k');
      // Whichever wrote last, the entry carries that caller's own ttl, never a shared one.
      expect(await cache.get('k')).to.equal(ttl! > 60_000 ? 'long' : 'short');
    });
  });

  describe('multiCached', function () {
    it('runs the function once for an id that concurrent calls ask for', async function () {
      const cache = new Cache({ logger: recordingLogger().logger });
      const calls: string[][] = [];
      const load = multiCached(
        async (ids: string[]) => {
          calls.push(ids);
          return later(ids.map((id) => id.toUpperCase()));
        },
        { cache },
      );
      const answers = await Promise.all([load(['a']), load(['a']), load(['a', 'b'])]);
      expect(answers).to.deep.equal([['A'], ['A'], ['A', 'B']]);
      expect(calls).to.deep.equal([['a'], ['b']]);
    });

    it('shares a failure with the calls waiting for the same id, and caches nothing', async function () {
      const cache = new Cache({ logger: recordingLogger().logger });
      let calls = 0;
      const load = multiCached(
        async (ids: string[]) => {
          calls++;
          await later(undefined);
          if (calls === 1) throw new Error('down');
          return ids;
        },
        { cache },
      );
      const outcomes = await Promise.allSettled([load(['a']), load(['a'])]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
      expect(await load(['a'])).to.deep.equal(['a']);
      expect(calls).to.equal(2);
    });

    it('answers in the shape the function answered in, in a process whose ids all hit', async function () {
      const cache = new Cache({ logger: recordingLogger().logger });
      const fn = async (ids: string[]) => new Map(ids.map((id) => [id, id.length]));
      // Two wrappers over one cache stand for two processes over one Redis.
      const first = multiCached(fn, { cache });
      const fresh = multiCached(fn, { cache });
      expect(await first(['ab', 'c'])).to.deep.equal(
        new Map([
          ['ab', 2],
          ['c', 1],
        ]),
      );
      const answer = await fresh(['c', 'ab']);
      expect(answer).to.be.instanceOf(Map);
      expect([...(answer as Map<string, number>)]).to.deep.equal([
        ['c', 1],
        ['ab', 2],
      ]);
    });

    it('answers in the shape option whatever the function and the store hold', async function () {
      const cache = new Cache({ logger: recordingLogger().logger });
      const load = multiCached(async (ids: string[]) => ids.map((id) => id + '!'), {
        cache,
        shape: 'object',
      });
      expect(await load(['a'])).to.deep.equal({ a: 'a!' });
      expect(await load(['a'])).to.deep.equal({ a: 'a!' });
      expect(await cache.get(load.keyFor('a'))).to.equal('a!');
    });
  });
});
