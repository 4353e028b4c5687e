import { expect } from 'chai';
import sinon from 'sinon';
import {
  BackendError,
  Cache,
  CacheTimeoutError,
  HitMissRatioPlugin,
  MemoryBackend,
  type Backend,
  type PostHookContext,
} from '../../lib/index.js';
import { ManualClock } from '../../lib/testing/index.js';
import { DelayedBackend } from '../support/async-backend.js';
import { recordingLogger } from '../support/recording-logger.js';

// A backend with every method of the memory backend except getWithTtl: the cache must fall back
// to a get and then a ttl.
function withoutGetWithTtl(inner: MemoryBackend): Backend {
  const backend = Object.create(inner) as Backend & { getWithTtl?: unknown };
  Object.defineProperty(backend, 'getWithTtl', { value: undefined });
  // Bound, as the memory backend's #private fields are on `inner`; configurable, for a test to wrap one.
  for (const method of ['get', 'ttl', 'set', 'multiGet', 'expire', 'delete'] as const) {
    Object.defineProperty(backend, method, {
      value: (inner[method] as (...a: unknown[]) => unknown).bind(inner),
      configurable: true,
    });
  }
  return backend;
}

describe('Cache.getWithTtl', function () {
  const failure = new Error('connection reset');
  let clock: ManualClock;

  beforeEach(function () {
    clock = new ManualClock();
  });

  for (const [name, make] of [
    ['the backend capability', () => new MemoryBackend({ clock })],
    ['get + ttl (a backend without it)', () => withoutGetWithTtl(new MemoryBackend({ clock }))],
    ['an asynchronous backend', () => new DelayedBackend(new MemoryBackend({ clock }), 1)],
  ] as const) {
    describe(`through ${name}`, function () {
      it('answers the value and ms left, Infinity with no expiry, undefined for a miss', async function () {
        const cache = new Cache<unknown>({ backend: make() });
        await cache.set('timed', { n: 1 }, { ttl: '10s' });
        await cache.set('forever', 'v');
        clock.advance(4_000);
        expect(await cache.getWithTtl('timed')).to.deep.equal({ value: { n: 1 }, ttl: 6_000 });
        expect(await cache.getWithTtl('forever')).to.deep.equal({ value: 'v', ttl: Infinity });
        expect(await cache.getWithTtl('missing')).to.equal(undefined);
        clock.advance(6_000);
        expect(await cache.getWithTtl('timed')).to.equal(undefined);
      });

      it('answers { value: default, ttl: undefined } for a miss given a default', async function () {
        const cache = new Cache<string>({ backend: make() });
        await cache.set('k', 'v');
        expect(await cache.getWithTtl('missing', { default: 'd' })).to.deep.equal({
          value: 'd',
          ttl: undefined,
        });
        expect(await cache.getWithTtl('k', { default: 'd' })).to.deep.equal({ value: 'v', ttl: Infinity });
      });

      it('reads in the per-call namespace and version', async function () {
        const cache = new Cache<string>({ backend: make(), namespace: 'a' });
        await cache.set('k', 'in b', { namespace: 'b', version: 2, ttl: '1m' });
        expect(await cache.getWithTtl('k')).to.equal(undefined);
        expect(await cache.getWithTtl('k', { namespace: 'b', version: 2 })).to.deep.equal({
          value: 'in b',
          ttl: 60_000,
        });
      });
    });
  }

  it('takes one backend call where the backend offers it', async function () {
    const backend = new MemoryBackend({ clock });
    const cache = new Cache({ backend });
    await cache.set('k', 1);
    const get = sinon.spy(backend, 'get');
    const ttl = sinon.spy(backend, 'ttl');
    const both = sinon.spy(backend, 'getWithTtl');
    await cache.getWithTtl('k');
    expect([both.callCount, get.callCount, ttl.callCount]).to.deep.equal([1, 0, 0]);
  });

  it('answers a miss when the key goes between the fallback get and ttl, never a value without a ttl', async function () {
    const inner = new MemoryBackend({ clock });
    const backend = withoutGetWithTtl(inner);
    const cache = new Cache({ backend });
    await cache.set('k', 1);
    const get = backend.get.bind(backend);
    Object.defineProperty(backend, 'get', {
      value: (key: string) => {
        const payload = get(key);
        inner.delete(key);
        return payload;
      },
    });
    expect(await cache.getWithTtl('k')).to.equal(undefined);
  });

  it('is observed by plugins as a get: the post hook sees the answer, and hits and misses count', async function () {
    const seen: PostHookContext[] = [];
    const ratio = new HitMissRatioPlugin();
    const cache = new Cache({ plugins: [ratio, { postGet: (ctx: PostHookContext) => void seen.push(ctx) }] });
    await cache.set('k', 'v');
    await cache.getWithTtl('k');
    await cache.getWithTtl('missing');
    expect(seen.map(({ op, key, result }) => ({ op, key, result }))).to.deep.equal([
      { op: 'get', key: 'k', result: { value: 'v', ttl: Infinity } },
      { op: 'get', key: 'missing', result: undefined },
    ]);
    expect(ratio.stats()).to.include({ hits: 1, misses: 1 });
  });

  it('wraps a backend failure in BackendError, and answers a miss (or the default) in safe mode', async function () {
    const backend = new MemoryBackend();
    sinon.stub(backend, 'getWithTtl').throws(failure);
    const error = await new Cache({ backend }).getWithTtl('k').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(BackendError).and.include({ op: 'get' });
    const { logger, records } = recordingLogger();
    const safe = new Cache({ backend, safe: true, logger });
    expect(await safe.getWithTtl('k')).to.equal(undefined);
    expect(await safe.getWithTtl('k', { default: 0 })).to.deep.equal({ value: 0, ttl: undefined });
    expect(records.filter((r) => r.level === 40)).to.have.length(2);
  });

  it('times out as get does, with the per-call limit', async function () {
    const cache = new Cache({ backend: new DelayedBackend(new MemoryBackend(), 200) });
    const error = await cache.getWithTtl('k', { timeout: 5 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CacheTimeoutError).and.include({ op: 'get' });
  });

  it('rejects a bad key with a TypeError before reading', async function () {
    const backend = new MemoryBackend();
    const both = sinon.spy(backend, 'getWithTtl');
    const error = await new Cache({ backend }).getWithTtl('').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TypeError);
    expect(both.callCount).to.equal(0);
  });
});
