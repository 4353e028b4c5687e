import { expect } from 'chai';
import {
  BackendError,
  Cache,
  CacheTimeoutError,
  MemoryBackend,
  NullSerializer,
  cached,
  multiCached,
  type Backend,
} from '../../../lib/index.js';
import { DelayedBackend } from '../../support/async-backend.js';
import { recordingLogger } from '../../support/recording-logger.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the core, on what a review found', function () {
  it('multiSet one write at a time leaves no write unhandled when a later one throws', async function () {
    // A backend without multiSet whose first write fails later and second throws at once.
    let writes = 0;
    const backend: Backend = {
      name: 'flaky',
      acceptsReferences: true,
      defaultSerializer: () => new NullSerializer(),
      get: () => undefined,
      multiGet: (keys) => keys.map(() => undefined),
      set: () => {
        writes++;
        if (writes === 1) return new Promise((_, reject) => setImmediate(() => reject(new Error('late'))));
        throw new Error('now');
      },
      add: () => true,
      delete: () => 0,
      multiDelete: () => 0,
      exists: () => false,
      expire: () => false,
      ttl: () => undefined,
      clear: () => undefined,
      close: () => undefined,
    };
    const cache = new Cache({ backend, logger: recordingLogger().logger });
    const error = await cache.multiSet({ a: 1, b: 2 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(BackendError);
    // The late rejection of the first write must find its handler (root hooks fail otherwise).
    await tick();
    await tick();
  });

  it("bounds getOrSet's inner reads and writes by the caller's own timeout", async function () {
    const backend = new DelayedBackend(new MemoryBackend(), 10_000);
    const cache = new Cache({ backend, timeout: '5s', logger: recordingLogger().logger });
    const started = Date.now();
    const error = await cache.getOrSet('k', () => 1, { timeout: 30 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CacheTimeoutError);
    expect((error as CacheTimeoutError).timeoutMs).to.equal(30);
    expect(Date.now() - started).to.be.below(5_000);
  });

  it('with lock, a function that fails with a cache-like error runs once, and its error is the answer', async function () {
    const cache = new Cache({ logger: recordingLogger().logger });
    let calls = 0;
    const fn = cached(
      async () => {
        calls++;
        throw new BackendError('get', 'elsewhere', new Error('its own database is down'));
      },
      { cache, lock: true },
    );
    expect(await fn().catch((e: unknown) => e)).to.be.instanceOf(BackendError);
    expect(calls).to.equal(1);
  });

  it("locks a memoised entry's own final key, whatever each process's cache namespace is", async function () {
    const backend = new MemoryBackend();
    const gate = deferred<void>();
    let calls = 0;
    const compute = async (id: string): Promise<string> => {
      calls++;
      await gate.promise;
      return `report ${id}`;
    };
    // Two caches stand for two processes whose caches have different namespaces.
    const one = cached(compute, {
      cache: new Cache({ backend, namespace: 'app' }),
      namespace: 'x',
      lock: true,
    });
    const two = cached(compute, {
      cache: new Cache({ backend, namespace: 'other' }),
      namespace: 'x',
      lock: true,
    });
    const first = one('q3');
    await tick();
    const second = two('q3');
    await tick();
    expect(calls).to.equal(1);
    gate.resolve();
    expect(await Promise.all([first, second])).to.deep.equal(['report q3', 'report q3']);
    expect(calls).to.equal(1);
  });

  it('multiCached fails open in its shape', async function () {
    const down = new Cache({
      backend: new DelayedBackend(new MemoryBackend(), 10_000),
      timeout: 20,
      logger: recordingLogger().logger,
    });
    const load = multiCached(async (ids: string[]) => ids.map((id) => id.length), {
      cache: down,
      shape: 'map',
    });
    const answer = await load(['ab']);
    expect(answer).to.be.instanceOf(Map);
    expect([...(answer as unknown as Map<string, number>)]).to.deep.equal([['ab', 2]]);
  });

  it("turns a backend's own throw when a scan starts into a BackendError", async function () {
    class BrokenScan extends MemoryBackend {
      override scan(): AsyncGenerator<string[]> {
        throw new TypeError('driver bug');
      }
    }
    const cache = new Cache({ backend: new BrokenScan() });
    const error = await cache
      .scan()
      .next()
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(BackendError);
    expect((error as BackendError).cause).to.be.instanceOf(TypeError);
  });

  it("refuses a root cache's key under larder's own prefix, so no caller overwrites a lock", async function () {
    const cache = new Cache();
    expect(await cache.set('__larder:lock:k', 1).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
    expect(await cache.delete('__larder:lock:k').catch((e: unknown) => e)).to.be.instanceOf(TypeError);
    expect(await cache.expire('__larder:lock:k', '1m').catch((e: unknown) => e)).to.be.instanceOf(TypeError);
    // A read cannot disturb a lock: an in-process get reads the key as given (see KeySpace.readKey).
    expect(await cache.get('__larder:x')).to.equal(undefined);
    expect(await cache.set('_ordinary', 1)).to.equal(true);
    const namespaced = new Cache({ namespace: 'app' });
    expect(await namespaced.set('__larder:lock:k', 1)).to.equal(true);
  });
});
