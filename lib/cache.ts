import type { Backend } from './backends/backend.js';
import { MemoryBackend } from './backends/memory.js';
import { describeValue } from './describe.js';
import { parseDuration, parseTimeout, parseTtl, type Duration } from './duration.js';
import { randomUUID } from 'node:crypto';
import { Lock, type LockOptions, type OptimisticLock } from './lock.js';
import {
  BackendError,
  CacheClosedError,
  CacheTimeoutError,
  ConfigError,
  KeyExistsError,
  LarderError,
  LockTimeoutError,
  OptimisticLockError,
  SerializationError,
} from './errors.js';
import {
  defaultKeyBuilder,
  escapeGlob,
  keyAffixes,
  normalizeKey,
  type Key,
  type KeyAffixes,
  type KeyBuilder,
} from './keys.js';
import { defaultLogger, type Logger } from './logger.js';
import {
  CACHE_DEFAULTS,
  type CacheOptions,
  type GetOptions,
  type OperationOptions,
  type WriteOptions,
} from './options.js';
import { PluginHooks } from './plugins/hooks.js';
import type { CacheOperation, Plugin, PostHookContext, PreHookContext } from './plugins/plugin.js';
import { Deadlines } from './deadlines.js';
import { KEY_MEMO_LIMIT, KeyMemo, readRemembered, type RememberedKey } from './key-memo.js';
import { MAX_TIMER_MS, isNativePromise, isPending, settleWithin } from './promise.js';
import { LATER, readNow, readRememberedNow } from './read-now.js';
import { BaseSerializer } from './serializers/base.js';
import { NullSerializer } from './serializers/null.js';
import { cacheFromUrl } from './from-url.js';
import type { Serializer } from './serializers/serializer.js';

/** Entries for {@link Cache.multiSet}: `[key, value]` pairs, a `Map`, or a plain object. */
export type CacheEntries<V> =
  readonly (readonly [Key, V])[] | ReadonlyMap<Key, V> | Readonly<Record<string, V>>;

/** A backend that may find a remembered key from where it found it last (the memory backend). */
type RemembersKeys = Backend & { readonly [readRemembered]?: (remembered: RememberedKey) => unknown };

// Marks operations that have no "nothing happened" answer in safe mode.
const NO_FALLBACK: unique symbol = Symbol('no fallback');
type Fallback<T> = T | typeof NO_FALLBACK;

/**
 * A cache: one backend, one serializer and any plugins, with namespaces, versions, ttls and
 * per-operation timeouts. Every method is async and validates its arguments before touching the
 * backend, so a rejected call changes nothing.
 *
 * @typeParam V - the type of cached values.
 * @example
 * ```ts
 * const cache = new Cache<User>({ namespace: 'users', ttl: '5m' });
 * await cache.set('42', user);
 * const hit = await cache.get('42');
 * ```
 */
export class Cache<V = unknown> {
  /** Where entries live. */
  readonly backend: Backend;
  /** How values are encoded for the backend. */
  readonly serializer: Serializer<unknown>;
  /** The namespace every key is built in, if any. */
  readonly namespace: string | undefined;
  /** The key version, if any. */
  readonly version: string | undefined;
  /** Whether failures degrade to "nothing happened" answers (see {@link CacheOptions.safe}). */
  readonly safe: boolean;
  /** The logger, bound to this cache's backend and namespace. */
  readonly logger: Logger;

  readonly #keyBuilder: KeyBuilder | undefined;
  readonly #prefix: string;
  // Final keys of recent keys, when building one means a new string and the backend hashes it.
  readonly #finalKeys: KeyMemo<string> | undefined;
  // Whether the backend can read a remembered final key from where it found it last.
  readonly #remembersFinalKeys: boolean;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  // The shared timer of operations under the default time limit (undefined: no limit).
  readonly #deadlines: Deadlines | undefined;
  readonly #plugins: readonly Plugin[];
  readonly #hooks: PluginHooks;
  // Whether get/set may take the fast path: fixed once the plugins are known.
  readonly #getUnobserved: boolean;
  readonly #setUnobserved: boolean;
  // Whether the backend answers with values, never promises (Backend.synchronous).
  readonly #synchronous: boolean;
  // Whether a get can be answered on the spot (see readNow).
  readonly #readsNow: boolean;
  // Whether payloads are the values themselves (the pass-through NullSerializer): nothing to decode.
  readonly #passThrough: boolean;
  // Whether cached()'s remembered keys may be read from where the backend found them last
  // (readRemembered): gets are answered on the spot, and keys are stored as given (no namespace,
  // version or key builder).
  readonly #readsRemembered: boolean;
  readonly #inflight = new Map<string, Promise<V>>();
  #affixes: KeyAffixes | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @throws TypeError or RangeError for an option of the wrong type or out of range.
   * @throws ConfigError if the serializer cannot work with the backend.
   */
  constructor(options: CacheOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Cache options must be an object; got ${describeValue(options)}`);
    }
    this.backend = options.backend ?? new MemoryBackend();
    checkBackend(this.backend);
    this.serializer = options.serializer ?? this.backend.defaultSerializer();
    checkSerializer(this.serializer);
    if (this.serializer instanceof NullSerializer && !this.backend.acceptsReferences) {
      throw new ConfigError(
        `the ${this.backend.name} backend cannot store live references: give it a serializer other than NullSerializer`,
        { path: 'serializer' },
      );
    }
    this.namespace = namespaceOf(options.namespace, 'namespace');
    this.version = versionOf(options.version, 'version');
    if (options.keyBuilder !== undefined && typeof options.keyBuilder !== 'function') {
      throw new TypeError(`keyBuilder must be a function; got ${describeValue(options.keyBuilder)}`);
    }
    this.#keyBuilder = options.keyBuilder;
    this.#prefix = defaultKeyBuilder('', this.namespace, this.version);
    this.#ttlMs = parseTtl(options.ttl === undefined ? CACHE_DEFAULTS.ttl : options.ttl);
    this.#timeoutMs = parseTimeout(options.timeout === undefined ? CACHE_DEFAULTS.timeout : options.timeout);
    this.#deadlines =
      this.#timeoutMs === 0 || this.#timeoutMs > MAX_TIMER_MS
        ? undefined
        : new Deadlines(this.#timeoutMs, (op, key) => new CacheTimeoutError(op, this.#timeoutMs, key));
    this.#plugins = pluginsOf(options.plugins);
    this.#hooks = new PluginHooks(this.#plugins, (err, hook, plugin, ctx) =>
      this.logger.error(
        { op: ctx.op, hook, plugin: plugin.constructor?.name, err },
        'plugin hook threw; the operation goes on',
      ),
    );
    this.#getUnobserved = this.#hooks.of('get') === undefined;
    this.#setUnobserved = this.#hooks.of('set') === undefined;
    this.#synchronous = this.backend.synchronous === true;
    this.#readsNow = this.#getUnobserved && this.#synchronous;
    this.#passThrough = this.serializer.loads === NullSerializer.prototype.loads;
    const remembers = typeof (this.backend as RemembersKeys)[readRemembered] === 'function';
    this.#readsRemembered =
      remembers && this.#readsNow && this.#prefix === '' && this.#keyBuilder === undefined;
    const prefix = this.#prefix;
    this.#finalKeys =
      this.#synchronous && prefix !== '' && this.#keyBuilder === undefined
        ? new KeyMemo(KEY_MEMO_LIMIT, (key) => prefix + key)
        : undefined;
    this.#remembersFinalKeys = remembers && this.#finalKeys !== undefined;
    if (options.safe !== undefined && typeof options.safe !== 'boolean') {
      throw new TypeError(`safe must be a boolean; got ${describeValue(options.safe)}`);
    }
    this.safe = options.safe ?? CACHE_DEFAULTS.safe;
    this.logger = (options.logger ?? defaultLogger()).child({
      backend: this.backend.name,
      namespace: this.namespace,
    });
  }

  /**
   * Builds a cache from a URL: `memory://?maxSize=10000`, `redis://[:password@]host[:port][/db]`,
   * `rediss://…`, `redis+unix:///path/redis.sock`, `redis+sentinel://h1:26379,h2:26379/mymaster[/db]`
   * or `redis+cluster://h1:7000,h2:7001`, with the query parameters `namespace`, `version`, `ttl`,
   * `timeout`, `serializer`, `safe` and the backend's own.
   *
   * @param overrides - options that win over what the URL says.
   * @throws ConfigError naming the part of the URL at fault.
   * @example
   * ```ts
   * const cache = Cache.fromUrl('redis://localhost:6379/0?namespace=app&ttl=60s');
   * ```
   */
  static fromUrl<V = unknown>(url: string, overrides: CacheOptions = {}): Cache<V> {
    // Built-in types only (the `caches` registry knows registered ones too). A backend, serializer
    // or plugins given in `overrides` replace the URL's, which are then not built at all.
    return cacheFromUrl(url, overrides, (options) => new Cache<V>(options));
  }

  /** The plugins observing this cache, in call order (for example to read a plugin's stats). */
  get plugins(): readonly Plugin[] {
    return this.#plugins;
  }

  /** Whether {@link Cache.close} has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Reads a value.
   *
   * @returns the value, or `options.default` (else `undefined`) on a miss or an expired entry.
   * @throws TypeError for a bad key; CacheTimeoutError, BackendError, SerializationError (not in safe mode).
   */
  get(key: Key, options?: GetOptions): Promise<V | undefined>;
  get<D>(key: Key, options: GetOptions<D> & { readonly default: D }): Promise<V | D>;
  get<D>(key: Key, options?: GetOptions<D>): Promise<V | D | undefined> {
    if (options === undefined && this.#getUnobserved && this.#closing === undefined) {
      // The hot path: no per-call options, no hooks, and no timer when the backend answers at once.
      try {
        const answer = this.#fetch(key);
        if (!isPending(answer, this.#synchronous))
          return Promise.resolve(answer === undefined ? undefined : this.#decode(answer, key));
        return this.#timed(answer, 'get', key).then(
          (payload) => (payload === undefined ? undefined : this.#decodeOrRecover(payload, key)),
          (error: unknown) => this.#recover<undefined>('get', key, error, undefined, undefined),
        );
      } catch (error) {
        return this.#failFast('get', key, error, undefined);
      }
    }
    const read = this.#run('get', key, undefined, options, undefined, () =>
      this.#mapMaybe(this.backend.get(this.#key(key, options)), (payload) =>
        payload === undefined ? undefined : this.#decode(payload, key),
      ),
    );
    // Only a caller that gave a default pays for applying it.
    return options?.default === undefined
      ? read
      : read.then((value) => (value === undefined ? options.default : value));
  }

  /**
   * The value of `get(key, options)` read on the spot, or {@link LATER} when only `get` can answer
   * (an asynchronous backend, a plugin observing gets, a closed cache, or any failure, which `get`
   * then reports properly). For cached(): a memoised hit costs no promise of its own.
   * @internal
   */
  [readNow](key: Key, options?: OperationOptions): V | undefined | typeof LATER {
    if (!this.#readsNow || this.#closing !== undefined) return LATER;
    try {
      return this.#valueNow(
        options === undefined ? this.#fetch(key) : this.backend.get(this.#key(key, options)),
        key,
      );
    } catch {
      return LATER;
    }
  }

  /**
   * {@link readNow} of a remembered key, which a backend that offers `readRemembered` finds from
   * where it found it last time. For cached()'s remembered default keys.
   * @internal
   */
  [readRememberedNow](remembered: RememberedKey, options?: OperationOptions): V | undefined | typeof LATER {
    if (!this.#readsRemembered || options !== undefined || this.#closing !== undefined) {
      return this[readNow](remembered.key, options);
    }
    try {
      return this.#valueNow(
        (this.backend as Required<RemembersKeys>)[readRemembered](remembered),
        remembered.key,
      );
    } catch {
      return LATER;
    }
  }

  // A synchronous read's payload as the value, or LATER for a backend that claimed to be
  // synchronous and answered with a promise anyway (`get` will then read again).
  #valueNow(payload: unknown, key: unknown): V | undefined | typeof LATER {
    if (isNativePromise(payload)) {
      payload.then(undefined, () => undefined);
      return LATER;
    }
    return payload === undefined ? undefined : this.#decode(payload, key);
  }

  /**
   * Reads several values in one backend round trip.
   *
   * @returns values in the order of `keys`, `undefined` for each miss.
   */
  multiGet(keys: readonly Key[], options?: OperationOptions): Promise<(V | undefined)[]> {
    return this.#run(
      'multiGet',
      undefined,
      keys,
      options,
      () => keysOf(keys).map(() => undefined),
      () => {
        const finalKeys = keysOf(keys).map((key) => this.#key(key, options));
        return this.#mapMaybe(this.backend.multiGet(finalKeys), (payloads) =>
          payloads.map((payload, i) => (payload === undefined ? undefined : this.#decode(payload, keys[i]!))),
        );
      },
    );
  }

  /**
   * Stores a value, replacing any previous one.
   *
   * @returns `true` (`false` in safe mode when the backend failed).
   * @throws TypeError for a bad key or an `undefined` value; RangeError for a bad ttl;
   *   SerializationError if the value cannot be encoded (nothing is written).
   */
  set(key: Key, value: V, options?: WriteOptions): Promise<boolean> {
    if (options === undefined && this.#setUnobserved && this.#closing === undefined) {
      try {
        const answer = this.backend.set(this.#key(key), this.#encode(value, key), this.#ttlMs);
        if (!isPending(answer, this.#synchronous)) return Promise.resolve(true);
        return this.#timed(answer, 'set', key).then(
          () => true,
          (error: unknown) => this.#recover('set', key, error, false, undefined),
        );
      } catch (error) {
        return this.#failFast('set', key, error, false);
      }
    }
    return this.#run('set', key, undefined, options, false, () => {
      const finalKey = this.#key(key, options);
      const payload = this.#encode(value, key);
      return this.#mapMaybe(this.backend.set(finalKey, payload, this.#ttlOf(options)), () => true);
    });
  }

  /**
   * Stores a value only if the key is absent, atomically.
   *
   * @returns `true` (`false` in safe mode when the backend failed).
   * @throws KeyExistsError if the key is present.
   */
  add(key: Key, value: V, options?: WriteOptions): Promise<boolean> {
    return this.#run('add', key, undefined, options, false, () => {
      const finalKey = this.#key(key, options);
      const payload = this.#encode(value, key);
      return this.#mapMaybe(this.backend.add(finalKey, payload, this.#ttlOf(options)), (added) => {
        if (!added) throw new KeyExistsError(String(key));
        return true;
      });
    });
  }

  /**
   * Stores several values with one ttl; atomic on Redis. Every key and value is checked and encoded
   * before anything is written.
   *
   * @param entries - `[key, value]` pairs, a `Map`, or a plain object.
   * @returns `true` (`false` in safe mode when the backend failed).
   */
  multiSet(entries: CacheEntries<V>, options?: WriteOptions): Promise<boolean> {
    return this.#run('multiSet', undefined, undefined, options, false, () => {
      const pairs = entriesOf(entries).map(
        ([key, value]) => [this.#key(key, options), this.#encode(value, key)] as const,
      );
      return this.#mapMaybe(this.backend.multiSet(pairs, this.#ttlOf(options)), () => true);
    });
  }

  /** @returns whether the key is present and unexpired (`false` in safe mode on failure). */
  exists(key: Key, options?: OperationOptions): Promise<boolean> {
    return this.#run('exists', key, undefined, options, false, () =>
      this.backend.exists(this.#key(key, options)),
    );
  }

  /**
   * Adds `delta` to the integer at `key`, keeping its ttl; a missing key is created as `delta`.
   * Works with serializers that store integers as plain numbers or text (null, string, json,
   * without compress/secret); others are refused with a `TypeError` before anything is written.
   *
   * @returns the new value.
   * @throws TypeError if `delta` is not an integer or the stored value is not one. Never degraded by safe mode.
   */
  increment(key: Key, delta = 1, options?: OperationOptions): Promise<number> {
    return this.#run('increment', key, undefined, options, NO_FALLBACK, () => {
      if (!Number.isSafeInteger(delta)) {
        throw new TypeError(`increment delta must be a safe integer; got ${describeValue(delta)}`);
      }
      const finalKey = this.#key(key, options);
      const initial = this.#encode(delta, key);
      // Backends count in the stored form (Redis INCRBY works on text); a binary encoding of an
      // integer would be read back as a different value, so refuse before anything is written.
      if (typeof initial !== 'string' && typeof initial !== 'number') {
        throw new TypeError(
          `increment needs a serializer that stores integers as text or numbers (json, string, null); ` +
            `the ${this.serializer.name} serializer${this.serializer instanceof BaseSerializer && this.serializer.enveloped ? ' with compress/secret' : ''} does not`,
        );
      }
      return this.backend.increment(finalKey, delta, initial);
    });
  }

  /**
   * Sets a new ttl on an existing key; `0` or `null` removes its expiry.
   *
   * @returns `false` if the key is missing (or in safe mode on failure).
   */
  expire(key: Key, ttl: Duration | null, options?: OperationOptions): Promise<boolean> {
    return this.#run('expire', key, undefined, options, false, () => {
      const finalKey = this.#key(key, options);
      return this.backend.expire(finalKey, parseTtl(ttl));
    });
  }

  /** @returns ms left, `Infinity` if the key never expires, `undefined` if it is missing. */
  ttl(key: Key, options?: OperationOptions): Promise<number | undefined> {
    return this.#run('ttl', key, undefined, options, undefined, () =>
      this.backend.ttl(this.#key(key, options)),
    );
  }

  /** @returns how many keys were removed (0 or 1). */
  delete(key: Key, options?: OperationOptions): Promise<number> {
    return this.#run('delete', key, undefined, options, 0, () =>
      this.backend.delete(this.#key(key, options)),
    );
  }

  /** @returns how many keys were removed. */
  multiDelete(keys: readonly Key[], options?: OperationOptions): Promise<number> {
    return this.#run('multiDelete', undefined, keys, options, 0, () =>
      this.backend.multiDelete(keysOf(keys).map((key) => this.#key(key, options))),
    );
  }

  /**
   * Removes this namespace's (and version's) keys matching a Redis-style glob: `?`, `*`, `[ae]`,
   * `[^e]`, `[a-b]`, and `\` to escape. The glob applies to the caller's keys, not the stored ones.
   *
   * @returns how many keys were removed.
   */
  deletePattern(glob: string, options?: OperationOptions): Promise<number> {
    return this.#run('deletePattern', glob, undefined, options, 0, () => {
      if (typeof glob !== 'string' || glob === '') {
        throw new TypeError(`deletePattern needs a non-empty glob string; got ${describeValue(glob)}`);
      }
      const { prefix, suffix } = this.#affixesOf(options, true);
      return this.backend.deletePattern(escapeGlob(prefix) + glob + escapeGlob(suffix));
    });
  }

  /**
   * Removes every key of this cache's namespace, in every version. A cache with no namespace
   * (and a key builder that adds nothing around keys) empties its whole backend.
   *
   * @returns `true` (`false` in safe mode on failure).
   */
  clear(options?: OperationOptions): Promise<boolean> {
    return this.#run('clear', undefined, undefined, options, false, () => {
      const { prefix, suffix } = this.#affixesOf(options, false);
      const cleared =
        prefix === '' && suffix === ''
          ? this.backend.clear()
          : this.backend.deletePattern(`${escapeGlob(prefix)}*${escapeGlob(suffix)}`);
      return this.#mapMaybe(cleared, () => true);
    });
  }

  /**
   * Read-through: returns the cached value, or calls `factory`, stores its result and returns it.
   * Concurrent callers for one key in this process share one `factory` call, and all see its
   * rejection if it fails (nothing is cached then).
   *
   * @throws TypeError if `factory` resolves to `undefined`; whatever `factory` throws.
   */
  getOrSet(key: Key, factory: () => V | Promise<V>, options?: WriteOptions): Promise<V> {
    return this.#run(
      'getOrSet',
      key,
      undefined,
      options,
      NO_FALLBACK,
      () => {
        if (typeof factory !== 'function') {
          throw new TypeError(`getOrSet needs a factory function; got ${describeValue(factory)}`);
        }
        const finalKey = this.#key(key, options);
        this.#ttlOf(options);
        let shared = this.#inflight.get(finalKey);
        if (shared === undefined) {
          // The shared work must not depend on the first caller's signal; each caller races its own.
          const { signal: _ignored, ...sharedOptions } = options ?? {};
          shared = this.#readThrough(key, factory, sharedOptions).finally(() =>
            this.#inflight.delete(finalKey),
          );
          this.#inflight.set(finalKey, shared);
        }
        // #run races the caller's own signal against the shared work.
        return shared;
      },
      false,
    );
  }

  /**
   * Takes a lock on `key`: one holder at a time across every process sharing the backend (on the
   * memory backend, within this process). Acquisition is `SET NX PX` with a random token on Redis;
   * release and extend only act while the token still matches. The lock lives beside the key, under
   * the reserved key `__lock__:<key>`.
   *
   * @returns the held {@link Lock}; release it when done.
   * @throws LockTimeoutError if `wait` runs out first; RangeError for a bad lease or wait. Never
   *   degraded by safe mode.
   * @example
   * ```ts
   * const lock = await cache.lock('report', { lease: '30s', wait: '5s' });
   * try { await rebuildReport(); } finally { await lock.release(); }
   * ```
   */
  async lock(key: Key, options: LockOptions): Promise<Lock> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`lock needs options with a lease; got ${describeValue(options)}`);
    }
    const leaseMs = parseLease(options.lease);
    const waitMs = options.wait === undefined ? 0 : parseDuration(options.wait, 'wait');
    const text = normalizeKey(key);
    const lockKey = this.#key(`${LOCK_PREFIX}${text}`);
    const compareAndDelete = this.backend.compareAndDelete?.bind(this.backend);
    const compareAndExpire = this.backend.compareAndExpire?.bind(this.backend);
    if (compareAndDelete === undefined || compareAndExpire === undefined) {
      throw new TypeError(
        `the ${this.backend.name} backend does not support locks (compareAndDelete/compareAndExpire)`,
      );
    }
    const token = randomUUID();
    const deadline = Date.now() + waitMs;
    for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
      const acquired = await this.#run('lock', text, undefined, undefined, NO_FALLBACK, () =>
        this.backend.add(lockKey, token, leaseMs),
      );
      if (acquired) {
        const control = {
          release: () =>
            this.#run('lock', text, undefined, undefined, NO_FALLBACK, () =>
              compareAndDelete(lockKey, token),
            ),
          extend: (ms: number) =>
            this.#run('lock', text, undefined, undefined, NO_FALLBACK, () =>
              compareAndExpire(lockKey, token, ms),
            ),
        };
        return new Lock(text, token, control, parseLease);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new LockTimeoutError(text, waitMs);
      // Jittered, so waiters started together do not retry in lockstep.
      await sleep(Math.min(left, pause * (0.5 + Math.random())));
    }
  }

  /**
   * Runs `fn` while holding the lock on `key`, and releases it afterwards whatever happens.
   *
   * @returns what `fn` resolves to.
   * @throws LockTimeoutError if the lock could not be taken within `wait`; whatever `fn` throws.
   */
  async withLock<R>(key: Key, fn: (lock: Lock) => R | Promise<R>, options: LockOptions): Promise<R> {
    if (typeof fn !== 'function') throw new TypeError(`withLock needs a function; got ${describeValue(fn)}`);
    const lock = await this.lock(key, options);
    try {
      return await fn(lock);
    } finally {
      await lock
        .release()
        .catch((err: unknown) =>
          this.logger.warn({ key: lock.key, err }, 'releasing a lock failed; it expires with its lease'),
        );
    }
  }

  /**
   * Reads `key` for a read-modify-write: `set` on the answer stores a new value only if nobody
   * changed the key in between (an atomic compare-and-set of the stored payload).
   *
   * @throws OptimisticLockError from `set` when the key changed since it was read.
   * @example
   * ```ts
   * const { value, set } = await cache.optimisticLock('counter');
   * await set({ n: (value?.n ?? 0) + 1 });
   * ```
   */
  async optimisticLock(key: Key, options?: OperationOptions): Promise<OptimisticLock<V>> {
    const compareAndSet = this.backend.compareAndSet?.bind(this.backend);
    if (compareAndSet === undefined) {
      throw new TypeError(
        `the ${this.backend.name} backend does not support optimistic locks (compareAndSet)`,
      );
    }
    const finalKey = this.#key(key, options);
    let expected = await this.#run('optimisticLock', key, undefined, options, NO_FALLBACK, () =>
      this.backend.get(finalKey),
    );
    const value = expected === undefined ? undefined : this.#decode(expected, key);
    const set = async (next: V, writeOptions?: { readonly ttl?: Duration | null }): Promise<true> => {
      const payload = this.#encode(next, key);
      const ttlMs = this.#ttlOf(writeOptions);
      const stored = await this.#run('optimisticLock', key, undefined, options, NO_FALLBACK, () =>
        compareAndSet(finalKey, expected, payload, ttlMs),
      );
      if (!stored) throw new OptimisticLockError(String(key));
      // A later set on the same handle compares against what this one wrote.
      expected = payload;
      return true;
    };
    return { value, set };
  }

  /**
   * The key as the backend stores it: namespace, version and key builder applied.
   *
   * @throws TypeError for a bad key.
   */
  storedKey(key: Key, options?: OperationOptions): string {
    return this.#key(key, options);
  }

  /**
   * Walks this namespace's (and version's) keys matching a Redis-style glob, in pages, as the
   * caller's keys (namespace and version taken off). On Redis it follows `SCAN` on every master,
   * never `KEYS`; keys written or removed during the walk may or may not be seen.
   *
   * @param glob - over the caller's keys. @default '*'
   * @throws TypeError if the backend cannot list keys.
   * @example
   * ```ts
   * for await (const page of cache.scan('user:*')) console.log(page);
   * ```
   */
  async *scan(
    glob = '*',
    options?: OperationOptions & { readonly count?: number },
  ): AsyncGenerator<string[]> {
    if (this.#closing !== undefined) throw new CacheClosedError('scan');
    if (typeof glob !== 'string' || glob === '')
      throw new TypeError(`scan needs a non-empty glob; got ${describeValue(glob)}`);
    const count = options?.count ?? 1_000;
    if (!Number.isSafeInteger(count) || count < 1)
      throw new RangeError(`count must be a positive integer; got ${describeValue(count)}`);
    if (this.backend.scan === undefined)
      throw new TypeError(`the ${this.backend.name} backend cannot list keys`);
    const { prefix, suffix } = this.#affixesOf(options, true);
    const pages = this.backend.scan(escapeGlob(prefix) + glob + escapeGlob(suffix), count);
    try {
      for await (const page of pages)
        yield page.map((key) => key.slice(prefix.length, key.length - suffix.length));
    } catch (error) {
      throw classifyFailure('scan', this.backend.name, error);
    }
  }

  /**
   * Sends a command straight to the backend (for Redis, an ioredis command name).
   *
   * @returns the backend's answer.
   */
  raw(command: string, ...args: unknown[]): Promise<unknown> {
    return this.#run('raw', undefined, undefined, undefined, NO_FALLBACK, () => {
      if (typeof command !== 'string' || command === '') {
        throw new TypeError(`raw needs a command name; got ${describeValue(command)}`);
      }
      return this.backend.raw(command, args);
    });
  }

  /** Releases the backend's connections and timers. Idempotent; later calls reject with CacheClosedError. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.backend.close();
    })();
    return this.#closing;
  }

  async #readThrough(key: Key, factory: () => V | Promise<V>, options: WriteOptions): Promise<V> {
    const cached = await this.get(key, options);
    if (cached !== undefined) return cached;
    const value = await factory();
    if (value === undefined) {
      throw new TypeError(
        `getOrSet factory for key "${String(key)}" returned undefined, which cannot be cached`,
      );
    }
    await this.set(key, value, options);
    return value;
  }

  /**
   * The one template every operation runs through: closed and abort checks, pre hooks, the
   * backend work under the time limit (only when it answers with a promise), error classification,
   * safe-mode degradation, post hooks.
   */
  async #run<T>(
    op: CacheOperation,
    key: unknown,
    keys: readonly unknown[] | undefined,
    options: OperationOptions | undefined,
    fallback: Fallback<T> | (() => T),
    work: () => T | PromiseLike<T>,
    timed = true,
  ): Promise<T> {
    if (this.#closing !== undefined) throw new CacheClosedError(op);
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    const timeoutMs = options?.timeout === undefined ? this.#timeoutMs : parseTimeout(options.timeout);
    const hooks = this.#hooks.of(op);
    const started = hooks === undefined ? 0 : performance.now();
    const ctx: PreHookContext | undefined =
      hooks === undefined ? undefined : { cache: this as Cache, op, key, keys, options };
    if (hooks !== undefined && hooks.pre.length > 0) {
      const pending = this.#hooks.run(hooks.pre, ctx!);
      if (pending !== undefined) await pending;
    }

    let result: T | undefined;
    let failure: unknown;
    let failed = false;
    try {
      const answer = work();
      result = !isPending(answer, this.#synchronous)
        ? answer
        : timed && signal === undefined && timeoutMs === this.#timeoutMs
          ? await this.#timed(answer, op, key)
          : await settleWithin(
              answer,
              timed ? timeoutMs : 0,
              signal,
              () => new CacheTimeoutError(op, timeoutMs, typeof key === 'string' ? key : undefined),
            );
    } catch (error) {
      try {
        result = this.#recover(op, key, error, fallback, signal);
      } catch (unrecovered) {
        failure = unrecovered;
        failed = true;
      }
    }
    if (hooks !== undefined && hooks.post.length > 0) {
      const durationMs = performance.now() - started;
      const cache = this as Cache;
      const post: PostHookContext = failed
        ? { cache, op, key, keys, options, error: failure, durationMs }
        : { cache, op, key, keys, options, result, durationMs };
      const pending = this.#hooks.run(hooks.post, post);
      if (pending !== undefined) await pending;
    }
    if (failed) throw failure;
    return result as T;
  }

  // The backend's payload for `key` under the cache's own namespace and version: through the
  // remembered final key, from where the backend found it last, when the backend can.
  #fetch(key: Key): unknown {
    if (this.#remembersFinalKeys && typeof key === 'string' && key !== '') {
      return (this.backend as Required<RemembersKeys>)[readRemembered](this.#finalKeys!.get(key));
    }
    return this.backend.get(this.#key(key));
  }

  // `then` applied to a backend's answer: at once to a value, later to a promise.
  #mapMaybe<A, B>(answer: A | PromiseLike<A>, then: (value: A) => B): B | PromiseLike<B> {
    return isPending(answer, this.#synchronous) ? answer.then(then) : then(answer);
  }

  // A backend's answer under the cache's default time limit.
  #timed<T>(answer: PromiseLike<T>, op: CacheOperation, key: unknown): Promise<T> {
    // Promise.resolve hands a native promise back as it is: no allocation without a limit.
    return this.#deadlines === undefined
      ? Promise.resolve(answer)
      : this.#deadlines.race(answer, op, typeof key === 'string' ? key : undefined);
  }

  // The fast paths' error exit: same classification and safe-mode answers as #run.
  #failFast<T>(op: CacheOperation, key: unknown, error: unknown, fallback: Fallback<T>): Promise<T> {
    try {
      return Promise.resolve(this.#recover(op, key, error, fallback, undefined));
    } catch (unrecovered) {
      return Promise.reject(unrecovered);
    }
  }

  /** Classifies a failure; returns the safe-mode answer, or throws what the caller should see. */
  #recover<T>(
    op: CacheOperation,
    key: unknown,
    error: unknown,
    fallback: Fallback<T> | (() => T),
    signal: AbortSignal | undefined,
  ): T {
    if (signal?.aborted && error === signal.reason) throw error;
    const classified = classifyFailure(op, this.backend.name, error);
    // A stored payload that cannot be decoded (corrupt, tampered, wrong secret) is worth an
    // operator's attention whether or not the caller sees it.
    const unreadable = classified instanceof SerializationError && (op === 'get' || op === 'multiGet');
    const degradable =
      unreadable || classified instanceof BackendError || classified instanceof CacheTimeoutError;
    const degrade = this.safe && degradable && fallback !== NO_FALLBACK;
    if (degrade || unreadable) {
      this.logger.warn(
        { op, key: typeof key === 'string' ? key : undefined, err: classified },
        degrade
          ? 'cache operation failed; safe mode answers as if nothing happened'
          : 'stored payload could not be read',
      );
    }
    if (!degrade) throw classified;
    return typeof fallback === 'function' ? (fallback as () => T)() : fallback;
  }

  #key(key: unknown, options?: OperationOptions): string {
    const text = typeof key === 'string' && key !== '' ? key : normalizeKey(key);
    if (options === undefined || (options.namespace === undefined && options.version === undefined)) {
      if (this.#keyBuilder === undefined) {
        return this.#finalKeys === undefined ? this.#prefix + text : this.#finalKeys.get(text).key;
      }
      return checkBuiltKey(this.#keyBuilder(text, this.namespace, this.version));
    }
    const namespace =
      options.namespace === undefined ? this.namespace : namespaceOf(options.namespace, 'options.namespace');
    const version =
      options.version === undefined ? this.version : versionOf(options.version, 'options.version');
    return checkBuiltKey((this.#keyBuilder ?? defaultKeyBuilder)(text, namespace, version));
  }

  // What the key builder puts around keys: with the version for deletePattern, without it for clear.
  #affixesOf(options: OperationOptions | undefined, withVersion: boolean): KeyAffixes {
    const builder = this.#keyBuilder ?? defaultKeyBuilder;
    const namespace =
      options?.namespace === undefined ? this.namespace : namespaceOf(options.namespace, 'options.namespace');
    if (!withVersion) return keyAffixes(builder, namespace, undefined);
    const version =
      options?.version === undefined ? this.version : versionOf(options.version, 'options.version');
    if (namespace === this.namespace && version === this.version) {
      return (this.#affixes ??= keyAffixes(builder, namespace, version));
    }
    return keyAffixes(builder, namespace, version);
  }

  #ttlOf(options: WriteOptions | undefined): number {
    return options?.ttl === undefined ? this.#ttlMs : parseTtl(options.ttl);
  }

  #encode(value: unknown, key: unknown): unknown {
    if (value === undefined) {
      throw new TypeError(`cannot store undefined at key "${String(key)}"; delete the key instead`);
    }
    try {
      return this.serializer.dumps(value);
    } catch (error) {
      throw serializationFailure(error, 'encode', key, this.serializer.name);
    }
  }

  // #decode for the fast path, whose failures must be classified as #run would classify them.
  #decodeOrRecover(payload: unknown, key: unknown): V | undefined {
    try {
      return this.#decode(payload, key);
    } catch (error) {
      return this.#recover<undefined>('get', key, error, undefined, undefined);
    }
  }

  #decode(payload: unknown, key: unknown): V {
    // Payloads that are the values (the pass-through serializer) need no decoding.
    if (this.#passThrough) return payload as V;
    try {
      return this.serializer.loads(payload) as V;
    } catch (error) {
      throw serializationFailure(error, 'decode', key, this.serializer.name);
    }
  }
}

/** What the caller sees of a failure: larder's and argument errors as they are, anything else as a BackendError. */
function classifyFailure(op: string, backend: string, error: unknown): unknown {
  return error instanceof LarderError || error instanceof TypeError || error instanceof RangeError
    ? error
    : new BackendError(op, backend, error);
}

// Lock keys live beside the keys they guard, inside the namespace.
const LOCK_PREFIX = '__lock__:';

function parseLease(lease: unknown): number {
  const ms = parseDuration(lease, 'lease');
  if (ms === 0 || ms === Infinity)
    throw new RangeError(`lease must be a finite duration above 0; got ${describeValue(lease)}`);
  return ms;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function serializationFailure(
  error: unknown,
  action: 'encode' | 'decode',
  key: unknown,
  serializer: string,
): SerializationError {
  const reason = error instanceof Error ? error.message : String(error);
  const cause = error instanceof SerializationError && error.cause !== undefined ? error.cause : error;
  return new SerializationError(
    `${serializer} serializer could not ${action} the value of key "${String(key)}": ${reason}`,
    serializer,
    {
      key: String(key),
      cause,
    },
  );
}

function checkBuiltKey(built: unknown): string {
  if (typeof built !== 'string' || built === '') {
    throw new TypeError(`keyBuilder must return a non-empty string; got ${describeValue(built)}`);
  }
  return built;
}

function keysOf(keys: unknown): readonly unknown[] {
  if (!Array.isArray(keys)) throw new TypeError(`keys must be an array; got ${describeValue(keys)}`);
  return keys;
}

function entriesOf<V>(entries: CacheEntries<V>): (readonly [unknown, V])[] {
  if (Array.isArray(entries)) {
    return entries.map((pair: unknown, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`multiSet entry ${i} must be a [key, value] pair; got ${describeValue(pair)}`);
      }
      return pair as unknown as readonly [unknown, V];
    });
  }
  if (entries instanceof Map) return [...(entries as ReadonlyMap<Key, V>)];
  if (typeof entries === 'object' && entries !== null && !(Symbol.iterator in entries)) {
    return Object.entries(entries as Readonly<Record<string, V>>);
  }
  throw new TypeError(
    `multiSet entries must be an array of pairs, a Map or a plain object; got ${describeValue(entries)}`,
  );
}

function namespaceOf(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string; got ${describeValue(value)}`);
  return value;
}

function versionOf(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
    return String(value);
  throw new TypeError(`${name} must be a string or a finite number; got ${describeValue(value)}`);
}

function pluginsOf(plugins: unknown): readonly Plugin[] {
  if (plugins === undefined) return [];
  if (!Array.isArray(plugins)) throw new TypeError(`plugins must be an array; got ${describeValue(plugins)}`);
  plugins.forEach((plugin: unknown, i) => {
    if (typeof plugin !== 'object' || plugin === null) {
      throw new TypeError(
        `plugins[${i}] must be an object with pre/post hooks; got ${describeValue(plugin)}`,
      );
    }
  });
  return Object.freeze([...(plugins as Plugin[])]);
}

const BACKEND_METHODS = [
  'defaultSerializer',
  'get',
  'multiGet',
  'set',
  'add',
  'multiSet',
  'exists',
  'increment',
  'expire',
  'ttl',
  'delete',
  'multiDelete',
  'deletePattern',
  'clear',
  'raw',
  'close',
] as const;

function checkBackend(backend: unknown): void {
  const missing = BACKEND_METHODS.filter(
    (method) => typeof (backend as Record<string, unknown> | null)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new TypeError(`backend must implement the Backend interface; missing ${missing.join(', ')}`);
  }
}

function checkSerializer(serializer: unknown): void {
  const candidate = serializer as Partial<Serializer<unknown>> | null;
  if (typeof candidate?.dumps !== 'function' || typeof candidate.loads !== 'function') {
    throw new TypeError(`serializer must have dumps() and loads() methods; got ${describeValue(serializer)}`);
  }
}
