import { expect } from 'chai';
import sinon from 'sinon';
import {
  BackendError,
  Cache,
  CacheClosedError,
  CacheTimeoutError,
  ConfigError,
  JsonSerializer,
  MemoryBackend,
  NullSerializer,
  SerializationError,
  StringSerializer,
  type Plugin,
  type PostHookContext,
} from '../../lib/index.js';
import { DelayedBackend } from '../support/async-backend.js';
import { recordingLogger } from '../support/recording-logger.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Cache', function () {
  describe('construction', function () {
    it('defaults to a memory backend storing live references', async function () {
      const cache = new Cache<{ n: number }>();
      const value = { n: 1 };
      await cache.set('k', value);
      expect(await cache.get('k')).to.equal(value);
      expect(cache.backend).to.be.instanceOf(MemoryBackend);
      expect(cache.serializer.name).to.equal('null');
    });

    it('rejects options of the wrong type, naming the option', function () {
      const cases: [unknown, RegExp][] = [
        [{ namespace: 5 }, /namespace/],
        [{ version: {} }, /version/],
        [{ keyBuilder: 'x' }, /keyBuilder/],
        [{ plugins: {} }, /plugins/],
        [{ plugins: [null] }, /plugins\[0\]/],
        [{ safe: 'yes' }, /safe/],
        [{ backend: {} }, /backend/],
        [{ serializer: {} }, /serializer/],
      ];
      for (const [options, message] of cases) {
        expect(() => new Cache(options as never), JSON.stringify(options)).to.throw(TypeError, message);
      }
      expect(() => new Cache({ ttl: -1 })).to.throw(RangeError, /ttl/);
      expect(() => new Cache({ timeout: 'later' })).to.throw(RangeError, /timeout/);
    });

    it('refuses NullSerializer on a backend that cannot keep references', function () {
      const backend = new MemoryBackend({ maxBytes: 1_000 });
      expect(() => new Cache({ backend, serializer: new NullSerializer() })).to.throw(
        ConfigError,
        /serializer/,
      );
      expect(() => new Cache({ backend, serializer: new JsonSerializer() })).not.to.throw();
    });

    it('defaults to a serializer the backend can hold: JSON for a memory backend bounded by bytes', async function () {
      const cache = new Cache({ backend: new MemoryBackend({ maxBytes: 1_000 }) });
      expect(cache.serializer).to.be.instanceOf(JsonSerializer);
      const value = { a: 1 };
      await cache.set('k', value);
      const read = await cache.get('k');
      expect(read).to.deep.equal(value);
      expect(read).not.to.equal(value);
    });
  });

  describe('timeouts', function () {
    it('rejects with CacheTimeoutError naming op, key and limit when the backend is too slow', async function () {
      // On fake timers, so "at its limit, long before the backend answers" is exact on any machine.
      const timers = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const inner = new MemoryBackend();
      const reads = sinon.spy(inner, 'get');
      const cache = new Cache({ backend: new DelayedBackend(inner, 200), timeout: 20 });
      let error: unknown;
      const settled = cache.get('slow').then(
        () => (error = 'no error'),
        (e: unknown) => (error = e),
      );
      await timers.tickAsync(19);
      expect(error, 'settled before its limit').to.equal(undefined);
      await timers.tickAsync(2);
      await settled;
      expect(reads.called, 'the backend, due to answer at 200 ms, has answered').to.equal(false);
      timers.restore();
      expect(error).to.be.instanceOf(CacheTimeoutError);
      expect(error).to.include({ code: 'LARDER_TIMEOUT', op: 'get', key: 'slow', timeoutMs: 20 });
    });

    it('applies a per-call timeout over the cache default, and 0 or null for none', async function () {
      const cache = new Cache({ backend: new DelayedBackend(new MemoryBackend(), 60), timeout: '5s' });
      expect(await cache.set('k', 1, { timeout: 10 }).catch((e: unknown) => e)).to.be.instanceOf(
        CacheTimeoutError,
      );
      const patient = new Cache({ backend: new DelayedBackend(new MemoryBackend(), 60), timeout: 10 });
      expect(await patient.set('k', 1, { timeout: 0 })).to.equal(true);
      expect(await patient.get('k', { timeout: null })).to.equal(1);
    });

    it('times out every kind of operation', async function () {
      const cache = new Cache({ backend: new DelayedBackend(new MemoryBackend(), 100), timeout: 10 });
      const calls: Promise<unknown>[] = [
        cache.multiGet(['a']),
        cache.add('a', 1),
        cache.multiSet({ a: 1 }),
        cache.exists('a'),
        cache.increment('a'),
        cache.expire('a', 5),
        cache.ttl('a'),
        cache.delete('a'),
        cache.multiDelete(['a']),
        cache.deletePattern('*'),
        cache.clear(),
        cache.raw('size'),
      ];
      for (const outcome of await Promise.allSettled(calls)) {
        expect(outcome.status).to.equal('rejected');
        expect((outcome as PromiseRejectedResult).reason).to.be.instanceOf(CacheTimeoutError);
      }
    });

    it('starts no timer when the backend answers synchronously', async function () {
      const cache = new Cache({ timeout: '5s' });
      const timers = sinon.spy(globalThis, 'setTimeout');
      await cache.set('k', 1);
      await cache.get('k');
      await cache.set('k', 2, { ttl: '1m', timeout: '1s' });
      await cache.multiGet(['k']);
      expect(timers.called).to.equal(false);

      const remote = new Cache({ backend: new DelayedBackend(new MemoryBackend(), 0), timeout: '5s' });
      timers.resetHistory();
      await remote.get('k');
      // The delayed backend's own timer, plus the cache's time limit.
      expect(timers.callCount).to.equal(2);
    });
  });

  describe('abort signals', function () {
    it('rejects with the reason of an already-aborted signal and writes nothing', async function () {
      const cache = new Cache();
      const reason = new Error('user cancelled');
      const error = await cache.set('k', 1, { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
      expect(error).to.equal(reason);
      expect(await cache.exists('k')).to.equal(false);
    });

    it('rejects an in-flight call when its signal aborts', async function () {
      const cache = new Cache({ backend: new DelayedBackend(new MemoryBackend(), 200) });
      const controller = new AbortController();
      const pending = cache.get('k', { signal: controller.signal }).catch((e: unknown) => e);
      setTimeout(() => controller.abort(new Error('stop')), 10);
      const error = await pending;
      expect((error as Error).message).to.equal('stop');
    });

    it('lets other getOrSet callers finish when one caller aborts', async function () {
      const cache = new Cache({ backend: new DelayedBackend(new MemoryBackend(), 5) });
      const controller = new AbortController();
      const factory = (): Promise<string> => new Promise((resolve) => setTimeout(() => resolve('v'), 40));
      const aborted = cache.getOrSet('k', factory, { signal: controller.signal }).catch((e: unknown) => e);
      const patient = cache.getOrSet('k', factory);
      controller.abort(new Error('gone'));
      expect(((await aborted) as Error).message).to.equal('gone');
      expect(await patient).to.equal('v');
    });
  });

  describe('errors and safe mode', function () {
    const failure = new Error('connection reset');

    it('wraps a backend failure in BackendError with the cause attached', async function () {
      const backend = new MemoryBackend();
      sinon.stub(backend, 'get').throws(failure);
      const error = await new Cache({ backend }).get('k').catch((e: unknown) => e);
      expect(error).to.be.instanceOf(BackendError);
      expect(error).to.include({ code: 'LARDER_BACKEND', op: 'get', backend: 'memory' });
      expect((error as BackendError).cause).to.equal(failure);
    });

    it('answers "nothing happened" for every degradable operation, and logs a warning', async function () {
      const backend = new MemoryBackend();
      for (const method of [
        'get',
        'multiGet',
        'set',
        'add',
        'multiSet',
        'exists',
        'expire',
        'ttl',
        'delete',
        'multiDelete',
        'deletePattern',
        'clear',
      ] as const) {
        sinon.stub(backend, method).throws(failure);
      }
      const { logger, records } = recordingLogger();
      const cache = new Cache({ backend, safe: true, logger });
      expect(await cache.get('k')).to.equal(undefined);
      expect(await cache.get('k', { default: 'd' })).to.equal('d');
      expect(await cache.multiGet(['a', 'b'])).to.deep.equal([undefined, undefined]);
      expect(await cache.set('k', 1)).to.equal(false);
      expect(await cache.set('k', 1, { ttl: 5 })).to.equal(false);
      expect(await cache.add('k', 1)).to.equal(false);
      expect(await cache.multiSet({ k: 1 })).to.equal(false);
      expect(await cache.exists('k')).to.equal(false);
      expect(await cache.expire('k', 5)).to.equal(false);
      expect(await cache.ttl('k')).to.equal(undefined);
      expect(await cache.delete('k')).to.equal(0);
      expect(await cache.multiDelete(['k'])).to.equal(0);
      expect(await cache.deletePattern('*')).to.equal(0);
      expect(await cache.clear()).to.equal(false);
      const warnings = records.filter((r) => r.level === 40);
      expect(warnings).to.have.length(14);
      expect(warnings[0]).to.include({ op: 'get', key: 'k' });
      expect((warnings[0]!.err as { message: string }).message).to.match(/connection reset/);
    });

    it('degrades timeouts too, but never increment nor argument errors', async function () {
      const slow = new Cache({
        backend: new DelayedBackend(new MemoryBackend(), 100),
        timeout: 10,
        safe: true,
      });
      expect(await slow.get('k')).to.equal(undefined);
      expect(await slow.increment('k').catch((e: unknown) => e)).to.be.instanceOf(CacheTimeoutError);
      expect(await slow.set('', 1).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
      expect(await slow.set('k', 1, { ttl: -1 }).catch((e: unknown) => e)).to.be.instanceOf(RangeError);
    });

    it('answers a payload that cannot be decoded with SerializationError, or a miss in safe mode', async function () {
      const backend = new MemoryBackend();
      const raw = new Cache({ backend, serializer: new StringSerializer() });
      await raw.set('k', '{not json');
      const strict = new Cache({ backend, serializer: new JsonSerializer() });
      const error = await strict.get('k').catch((e: unknown) => e);
      expect(error).to.be.instanceOf(SerializationError);
      expect(error).to.include({ code: 'LARDER_SERIALIZATION', key: 'k', serializer: 'json' });
      const safe = new Cache({
        backend,
        serializer: new JsonSerializer(),
        safe: true,
        logger: recordingLogger().logger,
      });
      expect(await safe.get('k')).to.equal(undefined);
      expect(await safe.multiGet(['k'])).to.deep.equal([undefined]);
    });

    it('refuses a value the serializer cannot encode, naming the key, and writes nothing', async function () {
      const cache = new Cache({ serializer: new JsonSerializer(), safe: true });
      for (const value of [() => 1, Symbol('s'), 10n]) {
        const error = await cache.set('k', value).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(SerializationError);
        expect(error).to.include({ key: 'k', serializer: 'json' });
        expect((error as Error).message).to.match(/"k"/);
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(await cache.multiSet({ fine: 1, k: cyclic }).catch((e: unknown) => e)).to.be.instanceOf(
        SerializationError,
      );
      expect(await cache.exists('fine')).to.equal(false);
    });
  });

  describe('plugins', function () {
    it('calls pre and post hooks around each operation with its context', async function () {
      const seen: string[] = [];
      let post: PostHookContext | undefined;
      const plugin: Plugin = {
        preGet: (ctx) => void seen.push(`pre:${ctx.op}:${String(ctx.key)}`),
        postGet: async (ctx) => {
          await settle();
          seen.push(`post:${ctx.op}`);
          post = ctx;
        },
        preMultiGet: (ctx) => void seen.push(`pre:${ctx.op}:${ctx.keys?.join(',')}`),
      };
      const cache = new Cache({ plugins: [plugin] });
      await cache.set('k', 'v');
      expect(await cache.get('k')).to.equal('v');
      await cache.multiGet(['a', 'b']);
      expect(seen).to.deep.equal(['pre:get:k', 'post:get', 'pre:multiGet:a,b']);
      expect(post).to.include({ op: 'get', key: 'k', result: 'v' });
      // Plugins see a narrow view of the cache, not the cache itself.
      expect(post!.cache).to.deep.equal({
        namespace: undefined,
        version: undefined,
        backend: 'memory',
        logger: cache.logger,
      });
      expect(post!.durationMs).to.be.a('number').and.at.least(0);
    });

    it('passes the error to post hooks when the operation fails', async function () {
      let error: unknown;
      const cache = new Cache({ plugins: [{ postAdd: (ctx) => void (error = ctx.error) }] });
      await cache.add('k', 1);
      await cache.add('k', 1).catch(() => undefined);
      expect(error).to.have.property('code', 'LARDER_KEY_EXISTS');
    });

    it('logs a throwing hook and keeps the operation result', async function () {
      const { logger, records } = recordingLogger();
      const cache = new Cache({
        logger,
        plugins: [
          {
            preSet: () => {
              throw new Error('plugin bug');
            },
            postGet: () => Promise.reject(new Error('async plugin bug')),
          },
        ],
      });
      expect(await cache.set('k', 1)).to.equal(true);
      expect(await cache.get('k')).to.equal(1);
      const errors = records.filter((r) => r.level === 50);
      expect(errors.map((r) => r.hook)).to.deep.equal(['preSet', 'postGet']);
    });
  });

  describe('close', function () {
    it('rejects every operation with CacheClosedError afterwards and is idempotent', async function () {
      const backend = new MemoryBackend();
      const closeBackend = sinon.spy(backend, 'close');
      const cache = new Cache({ backend });
      await cache.set('k', 1);
      await Promise.all([cache.close(), cache.close()]);
      await cache.close();
      expect(closeBackend.calledOnce).to.equal(true);
      expect(cache.closed).to.equal(true);
      for (const call of [cache.get('k'), cache.set('k', 1), cache.getOrSet('k', () => 1), cache.clear()]) {
        const error = await call.catch((e: unknown) => e);
        expect(error).to.be.instanceOf(CacheClosedError);
        expect(error).to.have.property('code', 'LARDER_CLOSED');
      }
    });
  });

  describe('namespaced keys on a synchronous backend (remembered final keys)', function () {
    it('stores every key under the namespace, short or long, past the memo turning over', async function () {
      const backend = new MemoryBackend({ maxSize: Infinity });
      const cache = new Cache({ backend, namespace: 'ns', version: 'v2' });
      const long = 'k'.repeat(500);
      const keys = [long, ...Array.from({ length: 25_000 }, (_, i) => `k${i}`)];
      for (const key of keys) await cache.set(key, key.length);
      for (const key of [long, 'k0', 'k24999']) {
        expect(await cache.get(key)).to.equal(key.length);
        expect(backend.exists(`ns:v2:${key}`), key).to.equal(true);
      }
      expect(backend.size).to.equal(keys.length);
      expect(await cache.raw('keys', 'ns:v2:*')).to.have.length(keys.length);
      await cache.close();
    });
  });

  describe('raw', function () {
    it('passes commands to the backend', async function () {
      const cache = new Cache({ namespace: 'ns' });
      await cache.multiSet({ a: 1, b: 2 });
      expect(await cache.raw('size')).to.equal(2);
      expect(await cache.raw('keys', 'ns:a')).to.deep.equal(['ns:a']);
      // What a backend throws is the backend's failure (BackendError), its own error the cause.
      const unknown = await cache.raw('nope').catch((e: unknown) => e);
      expect(unknown).to.be.instanceOf(BackendError);
      expect((unknown as BackendError).cause).to.be.instanceOf(TypeError);
      expect(await cache.raw('' as never).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
    });
  });
});
