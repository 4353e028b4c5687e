import type { CacheEntries } from './arguments.js';
import { threw } from './backend-port.js';
import type { Backend, KeyHandle } from './backends/backend.js';
import { MemoryBackend } from './backends/memory.js';
import { CacheCore } from './cache-core.js';
import {
  getNotingOf,
  getOrSetDirect,
  multiGetNotingOf,
  multiGetOf,
  readOnTheSpot,
  getDirect,
  runGet,
  taggedValueNow,
} from './cache-reads.js';
import { runSet, setDirect } from './cache-writes.js';
import { multiSet } from './multi-set.js';
import type { CacheOperations, DefaultWithoutTtl, ValueWithTtl } from './cache-operations.js';
import type { Duration } from './duration.js';
import { cacheEntries } from './entries.js';
import { cacheFromUrl } from './from-url.js';
import type { KeySpace } from './key-space.js';
import type { Key } from './keys.js';
import {
  acquireLock,
  optimisticLock,
  withLock,
  type Lock,
  type LockOptions,
  type OptimisticLock,
} from './locks.js';
import type { Logger } from './logger.js';
import type { OperationRunner } from './operation.js';
import * as operations from './operations.js';
import { ownKeySpace } from './options.js';
import type { CacheOptions, GetOptions, OperationOptions, WriteOptions } from './options.js';
import { holdBackend, releaseBackend } from './ownership.js';
import type { Plugin, Tier } from './plugins/plugin.js';
import { getNoting, multiGetNoting, readNow, type LATER } from './read-now.js';
import type { Serializer } from './serializers/serializer.js';
import { peekNow } from './peek.js';
import { scanPages } from './scan.js';
import { tagWriter } from './tags/tag-door.js';
import type { TagInvalidationListener } from './tags/tag-space.js';
import { isTaggedObject } from './tags/tagged-payload.js';
import * as tagged from './tags/tagged-operations.js';
import { detecting, noteCacheHit } from './strategies/detect-cache.js';
import { operationChannel } from './telemetry/channels.js';
import { telemetryOfCache } from './telemetry/cache-telemetry.js';
import type { L1Stats } from './tiers/l1-store.js';
import type { TwoTier } from './tiers/two-tier.js';

export type { CacheEntries } from './arguments.js';

// larder's memory backend's own reads, which answer with stored values only, never a pending
// answer: a subclass (or a stub) may replace either, and then gets take the general path.
const MEMORY_GET = MemoryBackend.prototype.get;
const MEMORY_PEEK = MemoryBackend.prototype.peek;

/**
 * A cache: one backend, one serializer and any plugins, with namespaces, versions, ttls and
 * per-operation timeouts. Every method is async and validates its arguments before touching the
 * backend, so a rejected call changes nothing.
 *
 * The operations beyond get and set are documented on {@link CacheOperations}. Each
 * checks its arguments and hands a small descriptor to the one operation runner
 * (lib/operation.ts); `get` and `set` without hooks take a fast path that answers the same way.
 *
 * @typeParam V - the type of cached values.
 * @example
 * ```ts
 * const cache = new Cache<User>({ namespace: 'users', ttl: '5m' });
 * await cache.set('42', user);
 * const hit = await cache.get('42');
 * ```
 */
export class Cache<V = unknown> implements CacheOperations<V> {
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

  readonly #core: CacheCore<V>;
  // The core's parts the get fast path uses, held here to save a load each.
  readonly #keys: KeySpace;
  readonly #runner: OperationRunner;
  // The conditions of the direct paths (lib/cache-paths.ts), held here to save a load each.
  readonly #getFast: boolean;
  readonly #setFast: boolean;
  readonly #peeks: boolean;
  readonly #readsStore: boolean;
  // The L1 and its invalidation, if the cache has an `l1` (then get and set leave their fast paths).
  readonly #tier: TwoTier<V> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @throws TypeError or RangeError for an option of the wrong type or out of range.
   * @throws ConfigError if the serializer cannot work with the backend.
   */
  constructor(options: CacheOptions = {}) {
    const core = new CacheCore<V>(options);
    this.#core = core;
    this.backend = core.backend;
    this.serializer = core.codec.serializer;
    this.namespace = core.keys.namespace;
    this.version = core.keys.version;
    this.safe = core.safe;
    this.logger = core.logger;
    this.#keys = core.keys;
    this.#runner = core.runner;
    this.#tier = core.tier;
    const paths = core.paths;
    this.#getFast = paths.getFast;
    this.#setFast = paths.setFast;
    this.#peeks = paths.peeks;
    this.#readsStore = paths.readsStore;
    holdBackend(core.backend);
    telemetryOfCache.set(this, core.telemetry);
  }

  /**
   * Builds a cache from a URL: `memory://?maxSize=10000`, `redis://[:password@]host[:port][/db]`,
   * `rediss://…`, `redis+unix:///path/redis.sock`, `redis+sentinel://h1:26379,h2:26379/mymaster[/db]`
   * or `redis+cluster://h1:7000,h2:7001`, with the query parameters `namespace`, `version`, `ttl`,
   * `timeout`, `serializer`, `compress`, `safe` and the backend's own.
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
    return this.#core.plugins;
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
    if (
      (options === undefined || ownKeySpace(options)) &&
      this.#readsStore &&
      this.#closing === undefined &&
      // Still larder's own reads: a subclass's or a test's stub (put on later) takes the general
      // path. peek counts too, since it forwards to an overridden get.
      this.backend.get === MEMORY_GET &&
      (!this.#peeks || this.backend.peek === MEMORY_PEEK) &&
      !operationChannel.hasSubscribers
    ) {
      // The leanest path, the one most gets take: larder's own memory store, whose answers are
      // stored values (never pending) and need no decoding. Two steps, as below.
      const fallback = options?.default;
      let target: string | KeyHandle;
      try {
        target = this.#peeks ? this.#keys.handle(key)! : this.#keys.readKey(key);
      } catch (error) {
        return Promise.reject(error);
      }
      let stored: unknown;
      try {
        stored = this.#peeks ? this.backend.peek!(target as KeyHandle) : this.backend.get(target as string);
      } catch (error) {
        return this.#runner.failed('get', key, threw(error), fallback, false);
      }
      if (stored === undefined) return Promise.resolve(fallback);
      if (isTaggedObject(stored)) {
        try {
          return Promise.resolve(taggedValueNow(this.#core, this, stored, key, fallback));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      if (detecting !== 0) noteCacheHit(this as Cache<unknown>, key, undefined);
      return Promise.resolve(stored as V);
    }
    if (
      this.#getFast &&
      (options === undefined || ownKeySpace(options)) &&
      this.#closing === undefined &&
      !operationChannel.hasSubscribers
    ) {
      return getDirect(this.#core, this, key, options?.default);
    }
    return this.#runGet(key, options);
  }

  // get through the runner, in a method of its own: its closures would otherwise make every call
  // of get allocate their context, fast path included, once this path has run (traced calls).
  #runGet<D>(key: Key, options: GetOptions<D> | undefined): Promise<V | D | undefined> {
    return runGet(this.#core, this, key, options);
  }

  /**
   * The value read on the spot, or {@link LATER} when only `get` can answer (a backend that can
   * neither peek nor answer synchronously, a plugin observing gets, a closed cache, or any
   * failure, which `get` then reports properly). The target is a final key's handle (read with
   * `peek`), or a caller's key in the cache's own key space (read with a synchronous `get`). For
   * the read-throughs: a memoised hit costs no promise of its own.
   * @internal
   */
  [readNow](target: KeyHandle | string): V | undefined | typeof LATER {
    return readOnTheSpot(this.#core, target);
  }

  getWithTtl(key: Key, options?: GetOptions): Promise<ValueWithTtl<V> | undefined>;
  getWithTtl<D>(
    key: Key,
    options: GetOptions<D> & { readonly default: D },
  ): Promise<ValueWithTtl<V> | DefaultWithoutTtl<D>>;
  getWithTtl<D>(
    key: Key,
    options?: GetOptions<D>,
  ): Promise<ValueWithTtl<V> | DefaultWithoutTtl<D> | undefined> {
    return operations.getWithTtl(this.#core, key, options);
  }

  multiGet(keys: readonly Key[], options?: OperationOptions): Promise<(V | undefined)[]> {
    return multiGetOf(this.#core, this, keys, options);
  }

  /** {@link get}, telling `noted` the tier of a hit when the cache has an L1. @internal */
  [getNoting](
    key: Key,
    options: GetOptions | undefined,
    noted: (tier: Tier) => void,
  ): Promise<V | undefined> {
    return getNotingOf(this.#core, this, key, options, noted);
  }

  /** {@link multiGet}, telling `noted` the tier of each hit when the cache has an L1. @internal */
  [multiGetNoting](
    keys: readonly Key[],
    options: OperationOptions | undefined,
    noted: (index: number, tier: Tier) => void,
  ): Promise<(V | undefined)[]> {
    return multiGetNotingOf(this.#core, this, keys, options, noted);
  }

  peek(key: Key): V | undefined {
    return peekNow(this.#core, key, this.#closing !== undefined);
  }

  get l1(): L1Stats | undefined {
    return this.#tier?.l1.stats;
  }

  get coherence(): 'live' | 'degraded' | 'off' {
    return this.#tier === undefined ? 'off' : this.#tier.coherence;
  }

  /**
   * Stores a value, replacing any previous one.
   *
   * @returns `true` (`false` in safe mode when the backend failed).
   * @throws TypeError for a bad key or an `undefined` value; RangeError for a bad ttl;
   *   SerializationError if the value cannot be encoded (nothing is written).
   */
  set(key: Key, value: V, options?: WriteOptions): Promise<boolean> {
    if (
      this.#setFast &&
      (options === undefined || (ownKeySpace(options) && options.tags === undefined)) &&
      this.#closing === undefined &&
      !operationChannel.hasSubscribers
    ) {
      return setDirect(this.#core, key, value, options);
    }
    if (options?.tags !== undefined) return tagged.set(this.#core, key, value, options);
    return runSet(this.#core, key, value, options);
  }

  add(key: Key, value: V, options?: WriteOptions): Promise<boolean> {
    return operations.add(this.#core, key, value, options);
  }

  multiSet(entries: CacheEntries<V>, options?: WriteOptions): Promise<boolean> {
    return multiSet(this.#core, entries, options);
  }

  exists(key: Key, options?: OperationOptions): Promise<boolean> {
    return operations.exists(this.#core, key, options);
  }

  increment(key: Key, delta = 1, options?: OperationOptions): Promise<number> {
    return operations.increment(this.#core, key, delta, options);
  }

  expire(key: Key, ttl: Duration | null, options?: OperationOptions): Promise<boolean> {
    return operations.expire(this.#core, key, ttl, options);
  }

  ttl(key: Key, options?: OperationOptions): Promise<number | undefined> {
    return operations.ttl(this.#core, key, options);
  }

  delete(key: Key, options?: OperationOptions): Promise<number> {
    return operations.remove(this.#core, key, options);
  }

  multiDelete(keys: readonly Key[], options?: OperationOptions): Promise<number> {
    return operations.multiDelete(this.#core, keys, options);
  }

  deletePattern(glob: string, options?: OperationOptions): Promise<number> {
    return operations.deletePattern(this.#core, glob, options);
  }

  clear(options?: OperationOptions): Promise<boolean> {
    return operations.clear(this.#core, options);
  }

  getOrSet(key: Key, factory: () => V | Promise<V>, options?: WriteOptions): Promise<V> {
    return (
      getOrSetDirect(this.#core, this, key, factory, options) ??
      operations.getOrSet(this.#core, this as Cache<unknown>, key, factory, options)
    );
  }

  invalidateTags(tags: readonly string[], options?: OperationOptions): Promise<number> {
    return tagged.invalidateTags(this.#core, tags, options);
  }

  /**
   * Tells `listener`, after the backend acknowledged it, of every tag invalidation made through
   * this cache: the hook an in-process tier uses to drop its tagged entries at once.
   * @internal
   * @returns a function that removes the listener.
   */
  onTagsInvalidated(listener: TagInvalidationListener): () => void {
    return this.#core.tags.listen(listener);
  }

  /** How read-throughs write tagged results. @internal */
  [tagWriter](): tagged.TagWriter<V> {
    return this.#core.tagWriter;
  }

  lock(key: Key, options: LockOptions): Promise<Lock> {
    return acquireLock(this.#core, key, options);
  }

  withLock<R>(key: Key, fn: (lock: Lock) => R | Promise<R>, options: LockOptions): Promise<R> {
    return withLock(this.#core, key, fn, options);
  }

  optimisticLock(key: Key, options?: OperationOptions): Promise<OptimisticLock<V>> {
    return optimisticLock(this.#core, key, options);
  }

  storedKey(key: Key, options?: OperationOptions): string {
    return this.#keys.finalKey(key, options);
  }

  scan(glob = '*', options?: OperationOptions & { readonly count?: number }): AsyncGenerator<string[]> {
    return scanPages(this.backend, this.#core.capabilities, this.#keys, this.#runner, glob, options);
  }

  entries(glob = '*', options?: OperationOptions & { readonly count?: number }): AsyncGenerator<[string, V]> {
    return cacheEntries(this.#core, glob, options);
  }

  raw(command: string, ...args: unknown[]): Promise<unknown> {
    return operations.raw(this.#core, command, args);
  }

  /**
   * Stops this cache: later calls reject with CacheClosedError. The backend is closed (its
   * connections and timers released) when the last open cache over it closes. Idempotent.
   */
  close(): Promise<void> {
    this.#runner.close();
    const tier = this.#tier;
    this.#closing ??=
      tier === undefined
        ? releaseBackend(this.backend)
        : tier.close().then(() => releaseBackend(this.backend));
    return this.#closing;
  }
}
