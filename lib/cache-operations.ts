import type { CacheEntries } from './arguments.js';
import type { Duration } from './duration.js';
import type { Key } from './keys.js';
import type { Lock, LockOptions, OptimisticLock } from './locks.js';
import type { GetOptions, OperationOptions, WriteOptions } from './options.js';
import type { L1Stats } from './tiers/l1-store.js';

/** A hit of {@link CacheOperations.getWithTtl}: the value and the time it has left. */
export interface ValueWithTtl<V> {
  /** The value read. */
  readonly value: V;
  /** Ms left, `Infinity` if the entry never expires. */
  readonly ttl: number;
}

/** A miss of {@link CacheOperations.getWithTtl} given a `default`. */
export interface DefaultWithoutTtl<D> {
  /** The `default` given. */
  readonly value: D;
  /** `undefined`: nothing was stored. */
  readonly ttl: undefined;
}

/**
 * The operations of a {@link Cache} beyond `get`, `set` and `getOrSet`, documented once here and
 * implemented by `Cache` (whose file keeps the hot paths). Every method validates its arguments
 * before touching the backend, so a rejected call changes nothing; every per-call option
 * (`namespace`, `version`, `timeout`, `signal`) is honoured.
 *
 * @typeParam V - the type of cached values.
 */
export interface CacheOperations<V> {
  /** What this cache's L1 holds and is bounded by; `undefined` without an L1. */
  readonly l1: L1Stats | undefined;

  /**
   * Whether this cache's L1 is coherent: `'live'` while its invalidation hears, `'degraded'` while
   * it does not (the L1 is then read past), `'off'` without an L1 or with `invalidation: 'none'`.
   */
  readonly coherence: 'live' | 'degraded' | 'off';

  /**
   * Read-through: returns the cached value, or calls `factory`, stores its result and returns it.
   * Each caller reads the cache itself (a hit costs what a `get` costs); concurrent callers that
   * miss for one key and ttl in this process share one `factory` call, and all see
   * its rejection if it fails (nothing is cached then); a caller asking for another ttl gets a
   * computation of its own, stored with its ttl.
   *
   * @throws TypeError if `factory` resolves to `undefined`; whatever `factory` throws.
   */
  getOrSet(key: Key, factory: () => V | Promise<V>, options?: WriteOptions): Promise<V>;

  /**
   * The value of `key` read on the spot, synchronously, without touching the network: from the
   * L1 (a fresh entry, while its invalidation hears) or from a memory backend; `undefined`
   * otherwise (a miss, another backend, a closed cache, a failure). Moves nothing, fills nothing.
   *
   * @throws TypeError for a bad key.
   */
  peek(key: Key): V | undefined;

  /**
   * Invalidates every entry written with one of `tags` (by `set`, `add`, `multiSet`, `getOrSet`,
   * `cached()` or `multiCached()` with the `tags` option), in this process and every other over
   * the same backend: once this resolves, they read as missing from the backend and from this
   * cache's L1, and from other caches' L1s as soon as the bus or tracking message reaches them
   * (within 100 ms on loopback); a computation that started before it is returned to its caller
   * but not served afterwards. One write whatever the number of entries (each tag gets a new
   * random token; see docs/tags.md).
   *
   * @returns the number of tags given (`0` in safe mode when the backend failed).
   * @throws TypeError if `tags` is not an array of non-empty strings, or for a namespace/version
   *   option (tags belong to the cache's namespace); nothing is written then.
   * @example
   * ```ts
   * await cache.set('product:1', p, { tags: ['product:1', 'catalog'] });
   * await cache.invalidateTags(['catalog']); // product:1 now reads as missing
   * ```
   */
  invalidateTags(tags: readonly string[], options?: OperationOptions): Promise<number>;

  /**
   * Reads several values in one backend round trip.
   *
   * @returns values in the order of `keys`, `undefined` for each miss.
   */
  multiGet(keys: readonly Key[], options?: OperationOptions): Promise<(V | undefined)[]>;

  /**
   * Reads a value and the time it has left, seen at one moment: in one round trip where the
   * backend offers `getWithTtl` (memory, Redis), else as a `get` and then a `ttl` (a key gone in
   * between is a miss). Plugins observe it as a `get` (their `postGet` sees this answer), and it
   * fails, times out and degrades in safe mode as `get` does.
   *
   * @returns `{ value, ttl }` (ttl: ms left, `Infinity` with no expiry), or on a miss `undefined`
   *   (with `options.default`: `{ value: default, ttl: undefined }`).
   * @example
   * ```ts
   * const hit = await cache.getWithTtl('user:42');
   * if (hit !== undefined && hit.ttl < 60_000) refreshSoon('user:42');
   * ```
   */
  getWithTtl(key: Key, options?: GetOptions): Promise<ValueWithTtl<V> | undefined>;
  getWithTtl<D>(
    key: Key,
    options: GetOptions<D> & { readonly default: D },
  ): Promise<ValueWithTtl<V> | DefaultWithoutTtl<D>>;

  /**
   * Stores a value only if the key is absent, atomically.
   *
   * @returns `true` (`false` in safe mode when the backend failed).
   * @throws KeyExistsError if the key is present.
   */
  add(key: Key, value: V, options?: WriteOptions): Promise<boolean>;

  /**
   * Stores several values; atomic on backends that offer `multiSet` (Redis, memory). An entry
   * given as a `[key, value, ttl]` triple has a ttl of its own (`undefined`: the call's); entries
   * are written in one batch per distinct ttl, each batch atomic, all sent at once. Every key, ttl
   * and value is checked and encoded before anything is written.
   *
   * @param entries - `[key, value]` pairs or `[key, value, ttl]` triples, a `Map`, or a plain object.
   * @returns `true` (`false` in safe mode when the backend failed).
   */
  multiSet(entries: CacheEntries<V>, options?: WriteOptions): Promise<boolean>;

  /** @returns whether the key is present and unexpired (`false` in safe mode on failure). */
  exists(key: Key, options?: OperationOptions): Promise<boolean>;

  /**
   * Adds `delta` to the integer at `key`, keeping its ttl; a missing key is created as `delta`.
   * Works with serializers that store integers as plain numbers or text (null, string, json,
   * without compress/secret); others are refused with a `TypeError` before anything is written.
   *
   * @returns the new value.
   * @throws TypeError if `delta` is not an integer; NotAnIntegerError (a TypeError) if the stored
   *   value is not one; OutOfRangeError (a RangeError) past the safe integer range. Never degraded by safe mode.
   */
  increment(key: Key, delta?: number, options?: OperationOptions): Promise<number>;

  /**
   * Sets a new ttl on an existing key; `0` or `null` removes its expiry.
   *
   * @returns `false` if the key is missing (or in safe mode on failure).
   */
  expire(key: Key, ttl: Duration | null, options?: OperationOptions): Promise<boolean>;

  /** @returns ms left, `Infinity` if the key never expires, `undefined` if it is missing. */
  ttl(key: Key, options?: OperationOptions): Promise<number | undefined>;

  /** @returns how many keys were removed (0 or 1). */
  delete(key: Key, options?: OperationOptions): Promise<number>;

  /** @returns how many keys were removed. */
  multiDelete(keys: readonly Key[], options?: OperationOptions): Promise<number>;

  /**
   * Removes this namespace's (and version's) keys matching a Redis-style glob: `?`, `*`, `[ae]`,
   * `[^e]`, `[a-b]`, and `\` to escape. The glob applies to the caller's keys, not the stored ones.
   *
   * @returns how many keys were removed.
   * @throws UnsupportedOperationError if the backend cannot delete by pattern.
   */
  deletePattern(glob: string, options?: OperationOptions): Promise<number>;

  /**
   * Removes every key of this cache's namespace, in every version. A cache with no namespace
   * (and a key builder that adds nothing around keys) empties its whole backend.
   *
   * @returns `true` (`false` in safe mode on failure).
   */
  clear(options?: OperationOptions): Promise<boolean>;

  /**
   * Takes a lock on `key`: one holder at a time across every process sharing the backend (on the
   * memory backend, within this process). Acquisition is `SET NX PX` with a random token on Redis;
   * release and extend only act while the token still matches. The lock lives outside every
   * namespace, at `__larder:lock:<final key>`, so clearing or listing a namespace never touches it.
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
  lock(key: Key, options: LockOptions): Promise<Lock>;

  /**
   * Runs `fn` while holding the lock on `key`, and releases it afterwards whatever happens.
   *
   * @returns what `fn` resolves to.
   * @throws LockTimeoutError if the lock could not be taken within `wait`; whatever `fn` throws.
   */
  withLock<R>(key: Key, fn: (lock: Lock) => R | Promise<R>, options: LockOptions): Promise<R>;

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
  optimisticLock(key: Key, options?: OperationOptions): Promise<OptimisticLock<V>>;

  /**
   * The key as the backend stores it: namespace, version and key builder applied.
   *
   * @throws TypeError for a bad key.
   */
  storedKey(key: Key, options?: OperationOptions): string;

  /**
   * Walks this namespace's (and version's) keys matching a Redis-style glob, in pages, as the
   * caller's keys (namespace and version taken off). On Redis it follows `SCAN` on every master,
   * never `KEYS`; keys written or removed during the walk may or may not be seen. Every page is
   * under the time limit, and `signal` stops the walk.
   *
   * @param glob - over the caller's keys. @default '*'
   * @throws UnsupportedOperationError if the backend cannot list keys.
   * @example
   * ```ts
   * for await (const page of cache.scan('user:*')) console.log(page);
   * ```
   */
  scan(glob?: string, options?: OperationOptions & { readonly count?: number }): AsyncGenerator<string[]>;

  /**
   * Walks this namespace's (and version's) entries whose keys match a Redis-style glob, as
   * `[key, value]` pairs (the caller's keys): the backend's own walk with values where it has one
   * (`scanEntries`, the memory backend), else the walk of {@link scan} with each page's values
   * read by one `multiGet` (on Redis one `MGET` per page, per hash slot on a Cluster), where an
   * entry that expires or is removed between a page's keys and its read is left out, and plugins
   * observe each page's read as a `multiGet`.
   *
   * @param glob - over the caller's keys. @default '*'
   * @throws UnsupportedOperationError if the backend cannot list keys.
   * @example
   * ```ts
   * for await (const [key, user] of cache.entries('user:*')) console.log(key, user.name);
   * ```
   */
  entries(
    glob?: string,
    options?: OperationOptions & { readonly count?: number },
  ): AsyncGenerator<[string, V]>;

  /**
   * Sends a command straight to the backend (for Redis, an ioredis command name).
   *
   * @returns the backend's answer.
   * @throws UnsupportedOperationError if the backend takes no raw commands.
   */
  raw(command: string, ...args: unknown[]): Promise<unknown>;
}
