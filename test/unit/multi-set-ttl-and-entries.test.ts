import { expect } from 'chai';
import sinon from 'sinon';
import {
  Cache,
  JsonSerializer,
  MemoryBackend,
  SerializationError,
  StringSerializer,
  type Backend,
} from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { ManualClock } from '../../lib/testing/index.js';
import { DelayedBackend } from '../support/async-backend.js';

const collect = async <T>(walk: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of walk) out.push(item);
  return out;
};

describe('Cache.multiSet with a ttl per entry', function () {
  let clock: ManualClock;
  beforeEach(function () {
    clock = new ManualClock();
  });

  for (const [name, make] of [
    ['memory', (): Backend => new MemoryBackend({ clock })],
    ['an asynchronous backend', (): Backend => new DelayedBackend(new MemoryBackend({ clock }), 1)],
  ] as const) {
    it(`gives each triple its own ttl, the others the call's (${name})`, async function () {
      const cache = new Cache({ backend: make(), ttl: '1h' });
      await cache.multiSet(
        [
          ['short', 1, '1s'],
          ['forever', 2, null],
          ['call', 3],
          ['inherit', 4, undefined],
        ],
        { ttl: '1m' },
      );
      expect(await cache.ttl('short')).to.equal(1_000);
      expect(await cache.ttl('forever')).to.equal(Infinity);
      expect(await cache.ttl('call')).to.equal(60_000);
      expect(await cache.ttl('inherit')).to.equal(60_000);
      clock.advance(1_000);
      expect(await cache.multiGet(['short', 'forever', 'call'])).to.deep.equal([undefined, 2, 3]);
    });
  }

  it('writes one atomic batch per distinct ttl, all issued at once', async function () {
    const backend = new MemoryBackend({ clock });
    const multiSet = sinon.spy(backend, 'multiSet');
    const cache = new Cache({ backend });
    await cache.multiSet([
      ['a', 1, '1s'],
      ['b', 2, '1s'],
      ['c', 3],
    ]);
    expect(multiSet.args.map(([entries, ttl]) => [entries.map(([key]) => key), ttl])).to.deep.equal([
      [['a', 'b'], 1_000],
      [['c'], 0],
    ]);
  });

  it('keeps the later value and ttl of a key given twice, whatever batch it falls in', async function () {
    const cache = new Cache({ backend: new MemoryBackend({ clock }) });
    await cache.multiSet([
      ['other', 0, '1s'],
      ['k', 'first', '1m'],
      ['k', 'second', '1s'],
    ]);
    expect(await cache.getWithTtl('k')).to.deep.equal({ value: 'second', ttl: 1_000 });
  });

  it("jitters each batch's ttl once, entries' own ttls too", async function () {
    const draws = [0, 1 - 1e-9];
    const cache = new Cache({
      backend: new MemoryBackend({ clock }),
      ttl: '100s',
      jitter: '10%',
      random: () => draws.shift() ?? 0.5,
    });
    await cache.multiSet([
      ['a', 1],
      ['b', 2, '10s'],
      ['c', 3],
      ['d', 4, '10s'],
      ['never', 5, null],
    ]);
    const ttls = await Promise.all(['a', 'b', 'c', 'd', 'never'].map((key) => cache.ttl(key)));
    expect(ttls).to.deep.equal([90_000, 11_000, 90_000, 11_000, Infinity]);
  });

  it('refuses a bad entry ttl or shape with a typed error, and writes nothing', async function () {
    const cache = new Cache({ backend: new MemoryBackend({ clock }) });
    const bad = await cache.multiSet([['a', 1], ['b', 2, -5] as const]).catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(RangeError);
    const shape = await cache
      .multiSet([['a', 1, '1s', 'extra'] as unknown as [string, number]])
      .catch((e: unknown) => e);
    expect(shape).to.be.instanceOf(TypeError);
    expect(await cache.exists('a')).to.equal(false);
  });
});

describe('Cache.entries', function () {
  it('yields [key, value] of the namespace and version matching the glob, and no expired entry', async function () {
    const clock = new ManualClock();
    const backend = new MemoryBackend({ clock });
    const cache = new Cache({ backend, namespace: 'app', version: 2 });
    await cache.multiSet([
      ['user:1', { n: 1 }],
      ['user:2', { n: 2 }, '1s'],
      ['post:1', 'p'],
    ]);
    await new Cache({ backend, namespace: 'other' }).set('user:9', 'not mine');
    await new Cache({ backend, namespace: 'app', version: 1 }).set('user:8', 'old version');
    const users = await collect(cache.entries('user:*', { count: 1 }));
    expect(users.sort()).to.deep.equal([
      ['user:1', { n: 1 }],
      ['user:2', { n: 2 }],
    ]);
    clock.advance(1_000);
    expect((await collect(cache.entries())).map(([key]) => key).sort()).to.deep.equal(['post:1', 'user:1']);
  });

  it('walks the memory backend with scanEntries: no get and no multiGet', async function () {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend });
    await cache.multiSet(Array.from({ length: 10 }, (_, i) => [`k${i}`, i] as const));
    const multiGet = sinon.spy(backend, 'multiGet');
    const get = sinon.spy(backend, 'get');
    const walked = await collect(cache.entries('*', { count: 4 }));
    expect(walked.sort(([a], [b]) => a.localeCompare(b))).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => [`k${i}`, i]).sort(([a], [b]) =>
        String(a).localeCompare(String(b)),
      ),
    );
    expect([multiGet.callCount, get.callCount]).to.deep.equal([0, 0]);
  });

  it('answers an unreadable payload as multiGet does: an error, or left out (and logged) in safe mode', async function () {
    const backend = new MemoryBackend();
    await new Cache({ backend, serializer: new StringSerializer() }).multiSet([
      ['bad', '{not json'],
      ['good', '1'],
    ]);
    const { logger, records } = recordingLogger();
    const strict = new Cache({ backend, serializer: new JsonSerializer(), logger });
    expect(await collect(strict.entries()).catch((e: unknown) => e)).to.be.instanceOf(SerializationError);
    records.length = 0;
    const safe = new Cache({ backend, serializer: new JsonSerializer(), safe: true, logger });
    expect(await collect(safe.entries())).to.deep.equal([['good', 1]]);
    expect(records.filter((r) => r.level === 40)).to.have.length(1);
  });

  describe('over a backend without scanEntries', function () {
    it('reads each page with one multiGet', async function () {
      const inner = new MemoryBackend();
      const cache = new Cache({ backend: withoutScanEntries(inner) });
      await cache.multiSet(Array.from({ length: 10 }, (_, i) => [`k${i}`, i] as const));
      const multiGet = sinon.spy(inner, 'multiGet');
      const get = sinon.spy(inner, 'get');
      expect(await collect(cache.entries('*', { count: 4 }))).to.have.length(10);
      expect([multiGet.callCount, get.callCount]).to.deep.equal([3, 0]);
    });

    it('leaves out an entry removed between its page of keys and the read', async function () {
      const inner = new MemoryBackend();
      const cache = new Cache({ backend: withoutScanEntries(inner) });
      await cache.multiSet([
        ['a', 1],
        ['b', 2],
      ]);
      const multiGet = inner.multiGet.bind(inner);
      sinon.stub(inner, 'multiGet').callsFake((keys) => {
        inner.delete('a');
        return multiGet(keys);
      });
      expect(await collect(cache.entries())).to.deep.equal([['b', 2]]);
    });
  });
});

// The memory backend's methods, bound to it, but for scanEntries.
function withoutScanEntries(inner: MemoryBackend): Backend {
  const backend = Object.create(inner) as Backend;
  Object.defineProperty(backend, 'scanEntries', { value: undefined });
  for (const method of ['get', 'multiGet', 'set', 'multiSet', 'scan', 'delete', 'clear'] as const) {
    Object.defineProperty(backend, method, {
      value: (...args: unknown[]) => (inner[method] as (...a: unknown[]) => unknown).apply(inner, args),
    });
  }
  return backend;
}
