import { expect } from 'chai';
import {
  BackendError,
  Cache,
  ConfigError,
  LarderError,
  MemoryBackend,
  NotAnIntegerError,
  OutOfRangeError,
  cached,
} from '../../../lib/index.js';
import { recordingLogger } from '../../support/recording-logger.js';

// A driver bug: the store's own get throws a TypeError (as a real driver may, on a bad reply).
class TypeErrorOnGet extends MemoryBackend {
  override get(): unknown {
    throw new TypeError('driver bug');
  }
}

describe('failures are classified where the backend is called', function () {
  it("turns a backend's own TypeError into a BackendError, with the TypeError as cause", async function () {
    const cache = new Cache({ backend: new TypeErrorOnGet(), logger: recordingLogger().logger });
    const error = await cache.get('k').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(BackendError);
    expect((error as BackendError).code).to.equal('LARDER_BACKEND');
    expect((error as BackendError).cause).to.be.instanceOf(TypeError);
  });

  it('lets safe mode answer a miss when the backend throws a TypeError, and logs it', async function () {
    const { logger, records } = recordingLogger();
    const cache = new Cache({ backend: new TypeErrorOnGet(), safe: true, logger });
    expect(await cache.get('k')).to.equal(undefined);
    expect(await cache.get('k', { default: 'd' })).to.equal('d');
    expect(await cache.get('k', { ttl: 5 } as never)).to.equal(undefined);
    expect(records.some((r) => r.level === 40 && String(r.msg).includes('safe mode'))).to.equal(true);
  });

  it('lets cached() fail open when the backend throws a TypeError', async function () {
    const cache = new Cache({ backend: new TypeErrorOnGet(), logger: recordingLogger().logger });
    let calls = 0;
    const double = cached(async (n: number) => (calls++, n * 2), { cache });
    expect(await double(21)).to.equal(42);
    expect(calls).to.equal(1);
  });

  it("keeps the caller's own mistakes as TypeError / RangeError, before the backend is called", async function () {
    const cache = new Cache({ backend: new TypeErrorOnGet(), safe: true });
    expect(await cache.get({} as never).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
    expect(await cache.set('k', 1, { ttl: -1 }).catch((e: unknown) => e)).to.be.instanceOf(RangeError);
    expect(await cache.set('k', undefined).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
  });

  it('reports a stored non-integer as NotAnIntegerError: a TypeError and a LarderError with a stable code', async function () {
    const cache = new Cache();
    await cache.set('k', 'text');
    const error = await cache.increment('k').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NotAnIntegerError);
    expect(error).to.be.instanceOf(TypeError);
    expect(error).to.be.instanceOf(LarderError);
    expect((error as NotAnIntegerError).code).to.equal('LARDER_NOT_AN_INTEGER');
    expect(error).not.to.be.instanceOf(BackendError);
  });

  it('reports leaving the safe integer range as OutOfRangeError: a RangeError with a stable code', async function () {
    const cache = new Cache();
    await cache.set('k', Number.MAX_SAFE_INTEGER);
    const error = await cache.increment('k').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(OutOfRangeError);
    expect(error).to.be.instanceOf(RangeError);
    expect(error).to.be.instanceOf(LarderError);
    expect((error as OutOfRangeError).code).to.equal('LARDER_OUT_OF_RANGE');
  });

  it('keeps instanceof exact for the subclasses of LarderError', function () {
    const error = new NotAnIntegerError('k');
    expect(error).not.to.be.instanceOf(BackendError);
    expect(new BackendError('get', 'memory', new Error('x'))).not.to.be.instanceOf(NotAnIntegerError);
    expect(new Error('plain')).not.to.be.instanceOf(LarderError);
  });
});

describe('keys are well-formed text', function () {
  it('refuses a key with a lone surrogate on every path, so no two keys collide as bytes', async function () {
    const root = new Cache();
    const namespaced = new Cache({ namespace: 'app' });
    const built = new Cache({ keyBuilder: (key) => `b/${key}` });
    for (const cache of [root, namespaced, built]) {
      for (const key of ['\uD800', 'a\uDBFFb', '\uDC00x']) {
        expect(await cache.set(key, 1).catch((e: unknown) => e), key).to.be.instanceOf(TypeError);
        expect(await cache.add(key, 1).catch((e: unknown) => e), key).to.be.instanceOf(TypeError);
        expect(await cache.multiSet([[key, 1]]).catch((e: unknown) => e), key).to.be.instanceOf(TypeError);
        expect(await cache.exists(key).catch((e: unknown) => e), key).to.be.instanceOf(TypeError);
        // A get by the final key as given, on an in-process store, answers a miss (nothing can be
        // stored under such a key, and a string key collides with no other) instead of paying
        // for the check on every hit; everywhere else it is refused too.
        const read = await cache.get(key).catch((e: unknown) => e);
        if (cache === root) expect(read, key).to.equal(undefined);
        else expect(read, key).to.be.instanceOf(TypeError);
      }
      expect(await cache.set('emoji \u{1F600}', 1)).to.equal(true);
      expect(await cache.get('emoji \u{1F600}')).to.equal(1);
    }
    // cached()'s default keys encode their arguments, lone surrogates escaped: they stay apart.
    const fn = cached(async (s: string) => s.length, { cache: namespaced });
    expect(fn.keyFor('\uD800')).not.to.equal(fn.keyFor('\uDBFF'));
    expect(await fn('\uD800')).to.equal(1);
  });
});

describe('a key builder without a separator', function () {
  it("refuses clear() and deletePattern() of a namespace that would reach another one's keys", async function () {
    const backend = new MemoryBackend();
    const glued = new Cache({ backend, namespace: 'app', keyBuilder: (key, ns) => `${ns ?? ''}${key}` });
    const apple = new Cache({ backend, namespace: 'apple' });
    await apple.set('1', 'kept');
    for (const call of [() => glued.clear(), () => glued.deletePattern('*')]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).path).to.equal('keyBuilder');
    }
    expect(await apple.get('1')).to.equal('kept');
    const separated = new Cache({ backend, namespace: 'app', keyBuilder: (key, ns) => `${ns ?? ''}/${key}` });
    await separated.set('k', 1);
    expect(await separated.clear()).to.equal(true);
    expect(await apple.get('1')).to.equal('kept');
  });
});

describe('plugin contexts of multi-key operations', function () {
  it('carry the keys as the caller gave them, for multiGet, multiSet and multiDelete, pre and post', async function () {
    const seen: string[] = [];
    const record = (ctx: { op: string; keys?: readonly unknown[] }): void => {
      seen.push(`${ctx.op}:${ctx.keys?.join(',')}`);
    };
    const cache = new Cache({
      plugins: [
        { preMultiGet: record, postMultiGet: record, preMultiSet: record, postMultiSet: record },
        { preMultiDelete: record, postMultiDelete: record },
      ],
    });
    await cache.multiSet({ a: 1, b: 2 });
    await cache.multiGet(['a', 'b']);
    await cache.multiDelete(['a']);
    expect(seen).to.deep.equal([
      'multiSet:a,b',
      'multiSet:a,b',
      'multiGet:a,b',
      'multiGet:a,b',
      'multiDelete:a',
      'multiDelete:a',
    ]);
  });
});
