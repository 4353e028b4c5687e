import { expect } from 'chai';
import { Cache, multiCached } from '../../../lib/index.js';
import { recordingLogger } from '../../support/recording-logger.js';

const later = <T>(value: T): Promise<T> => new Promise((resolve) => setImmediate(() => resolve(value)));

describe('the read-through engine', function () {
  describe('getOrSet', function () {
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
