import { expect } from 'chai';
import { CORE_METHODS, capabilitiesOf } from '../../../lib/backends/capabilities.js';
import { Cache, NullSerializer, UnsupportedOperationError, type Backend } from '../../../lib/index.js';

// The smallest backend the contract allows: the core methods over a Map, no capability at all.
class CoreOnly implements Backend {
  readonly name = 'core-only';
  readonly acceptsReferences = true;
  readonly #entries = new Map<string, unknown>();
  defaultSerializer() {
    return new NullSerializer();
  }
  get(key: string) {
    return this.#entries.get(key);
  }
  multiGet(keys: readonly string[]) {
    return keys.map((key) => this.#entries.get(key));
  }
  set(key: string, value: unknown) {
    this.#entries.set(key, value);
  }
  add(key: string, value: unknown) {
    if (this.#entries.has(key)) return false;
    this.#entries.set(key, value);
    return true;
  }
  delete(key: string) {
    return this.#entries.delete(key) ? 1 : 0;
  }
  multiDelete(keys: readonly string[]) {
    return new Set(keys).size === 0
      ? 0
      : [...new Set(keys)].filter((key) => this.#entries.delete(key)).length;
  }
  exists(key: string) {
    return this.#entries.has(key);
  }
  expire(key: string) {
    return this.#entries.has(key);
  }
  ttl(key: string) {
    return this.#entries.has(key) ? Infinity : undefined;
  }
  clear(prefix: string) {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
  close() {}
}

describe('backend capabilities', function () {
  it('finds what a backend offers once, and refuses a backend without the core', function () {
    expect(capabilitiesOf(new CoreOnly())).to.include({
      scan: false,
      peek: false,
      multiSet: false,
      locks: false,
    });
    const missing = () => new Cache({ backend: { name: 'half', get() {} } as never });
    const lacking = CORE_METHODS.filter((method) => method !== 'get');
    expect(missing).to.throw(TypeError, new RegExp(`lacks ${lacking.join(', ')}$`));
  });

  it('points a backend given by name to the classes and fromUrl', function () {
    expect(() => new Cache({ backend: 'redis' as never })).to.throw(TypeError, /new RedisBackend|fromUrl/);
    expect(() => new Cache({ serializer: 'json' as never })).to.throw(TypeError, /new JsonSerializer/);
  });

  it('runs the core operations on a core-only backend, multiSet one entry at a time', async function () {
    const cache = new Cache({ backend: new CoreOnly(), namespace: 'ns' });
    expect(await cache.multiSet({ a: 1, b: 2 })).to.equal(true);
    expect(await cache.multiGet(['a', 'b', 'c'])).to.deep.equal([1, 2, undefined]);
    expect(await cache.clear()).to.equal(true);
    expect(await cache.get('a')).to.equal(undefined);
  });

  it('refuses each missing capability with UnsupportedOperationError naming it, even in safe mode', async function () {
    const cache = new Cache({ backend: new CoreOnly(), safe: true });
    const refusals = [
      ['increment', () => cache.increment('n')],
      ['deletePattern', () => cache.deletePattern('*')],
      ['raw', () => cache.raw('ping')],
      ['compareAndDelete', () => cache.lock('k', { lease: '1s' })],
      ['compareAndSet', () => cache.optimisticLock('k')],
      ['scan', async () => cache.scan().next()],
    ] as const;
    for (const [capability, call] of refusals) {
      const error = await call().catch((e: unknown) => e);
      expect(error, capability).to.be.instanceOf(UnsupportedOperationError);
      expect((error as UnsupportedOperationError).code).to.equal('LARDER_UNSUPPORTED');
      expect((error as UnsupportedOperationError).capability).to.equal(capability);
    }
  });
});
