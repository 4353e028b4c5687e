import { expect } from 'chai';
import { Cache, ConfigError, MemoryBackend, caches } from '../../../lib/index.js';
import { ManualClock } from '../../../lib/testing/index.js';
import { recordingLogger } from '../../support/recording-logger.js';

/** A cache on a manual clock whose jitter draws `draws` in turn. */
function jittered(draws: number[], jitter?: string | number): Cache {
  return new Cache({
    backend: new MemoryBackend({ clock: new ManualClock() }),
    ttl: '100s',
    ...(jitter === undefined ? {} : { jitter }),
    random: () => draws.shift() ?? 0.5,
    logger: recordingLogger().logger,
  });
}

describe('jitter on Cache writes', function () {
  it("spreads every write's ttl within ± the cache's jitter: set, add, multiSet, getOrSet", async function () {
    const cache = jittered([0, 0.25, 0.75, 0.999999, 0.5], '10%');
    await cache.set('a', 1);
    await cache.add('b', 1);
    await cache.multiSet([['c', 1]]);
    await cache.getOrSet('d', () => 1);
    await cache.set('e', 1, { ttl: '10s' });
    const ttls = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((key) => cache.ttl(key)));
    expect(ttls).to.deep.equal([90_000, 95_000, 105_000, 110_000, 10_000]);
  });

  it("takes a duration, and a write's own jitter wins (0 for none)", async function () {
    // A write without jitter draws nothing.
    const cache = jittered([0, 1 - 1e-9], '5s');
    await cache.set('a', 1);
    await cache.set('b', 1, { jitter: 0 });
    await cache.set('c', 1, { jitter: '50%' });
    expect(await cache.ttl('a')).to.equal(95_000);
    expect(await cache.ttl('b')).to.equal(100_000);
    expect(await cache.ttl('c')).to.equal(150_000);
  });

  it('per write on a cache without one, never below 1 ms, and never for entries that never expire', async function () {
    const cache = jittered([0, 0], undefined);
    await cache.set('a', 1, { jitter: '1h' });
    await cache.set('b', 1, { ttl: 0, jitter: '10%' });
    await cache.set('c', 1);
    expect(await cache.ttl('a')).to.equal(1);
    expect(await cache.ttl('b')).to.equal(Infinity);
    expect(await cache.ttl('c')).to.equal(100_000);
  });

  it('concurrent getOrSet callers with one ttl still share one computation', async function () {
    const cache = jittered([], '10%');
    let calls = 0;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => cache.getOrSet('k', async () => ++calls, { ttl: '1m', jitter: '20%' })),
    );
    expect(answers).to.deep.equal([1, 1, 1, 1, 1]);
  });

  it('refuses a bad jitter with RangeError before anything is written', async function () {
    expect(() => new Cache({ jitter: '100%' })).to.throw(RangeError, /jitter/);
    expect(() => new Cache({ jitter: 'lots' as never })).to.throw(RangeError, /jitter/);
    expect(() => new Cache({ random: 'no' as never })).to.throw(TypeError, /random/);
    expect(() => caches.create('default', { jitter: -1 })).to.throw(RangeError, /jitter/);
    const cache = jittered([]);
    let error: unknown;
    await cache.set('k', 1, { jitter: '150%' as never }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RangeError);
    expect(await cache.exists('k')).to.equal(false);
    error = undefined;
    await cache.getOrSet('k', () => 1, { jitter: 'x' as never }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RangeError);
  });

  describe('from a config', function () {
    afterEach(async function () {
      await caches.closeAll();
      caches.setConfig({});
    });

    it('takes jitter as an alias field and as a URL parameter', async function () {
      caches.setConfig({
        object: { backend: 'memory', ttl: '100s', jitter: '10%' },
        url: 'memory://?ttl=100s&jitter=10%25',
      });
      for (const alias of ['object', 'url']) {
        const cache = caches.create(alias, { random: () => 0 });
        await cache.set('k', 1);
        // Real time on the memory backend's own clock: 90 s, less what has passed since the write.
        expect(await cache.ttl('k')).to.be.within(85_000, 90_000);
        await cache.close();
      }
    });

    it('refuses a bad jitter with a ConfigError naming the field', function () {
      expect(() => caches.setConfig({ bad: { jitter: '200%' } }))
        .to.throw(ConfigError, /caches\.bad\.jitter/)
        .with.property('path', 'caches.bad.jitter');
    });
  });
});
