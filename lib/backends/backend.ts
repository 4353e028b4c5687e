import type { MaybePromise } from '../promise.js';
import type { Serializer } from '../serializers/serializer.js';

/**
 * The contract between a {@link Cache} and a store. The cache has already built the final key,
 * validated every argument and encoded every value, so a backend only stores and fetches.
 *
 * Methods may answer synchronously (the memory backend does, and then the cache skips its timeout
 * timer) or with a promise. A `ttlMs` of `0` means "never expires".
 */
export interface Backend {
  /** Short name for errors and logs, e.g. `'memory'`. */
  readonly name: string;
  /** Whether values may be stored as live references (only then is {@link NullSerializer} allowed). */
  readonly acceptsReferences: boolean;
  /**
   * `true` when `get` always answers synchronously (the memory backend). A hint: it lets
   * `cached()` answer a hit without waiting for a promise. Leave it out if unsure.
   */
  readonly synchronous?: boolean;
  /** The serializer a cache uses when it is given none. */
  defaultSerializer(): Serializer<unknown>;
  /** Returns the stored payload, or `undefined` if the key is missing or expired. */
  get(key: string): MaybePromise<unknown>;
  /** Returns the stored payloads in the order of `keys`, `undefined` for each miss. */
  multiGet(keys: readonly string[]): MaybePromise<unknown[]>;
  /** Stores a payload, replacing any previous one and its ttl. */
  set(key: string, value: unknown, ttlMs: number): MaybePromise<void>;
  /** Stores a payload only if the key is absent; returns whether it stored it. Atomic. */
  add(key: string, value: unknown, ttlMs: number): MaybePromise<boolean>;
  /** Stores every entry with the same ttl, all or nothing. */
  multiSet(entries: readonly (readonly [string, unknown])[], ttlMs: number): MaybePromise<void>;
  /** Returns whether the key is present and unexpired. */
  exists(key: string): MaybePromise<boolean>;
  /**
   * Adds `delta` to the integer stored at `key` and returns the new value, keeping the key's ttl.
   * A missing key is created holding `initial` (the encoded `delta`). Throws `TypeError` if the
   * stored value is not an integer.
   */
  increment(key: string, delta: number, initial: unknown): MaybePromise<number>;
  /** Sets a new ttl (`0` removes the expiry); returns `false` if the key is missing. */
  expire(key: string, ttlMs: number): MaybePromise<boolean>;
  /** Returns ms left, `Infinity` with no expiry, `undefined` if the key is missing. */
  ttl(key: string): MaybePromise<number | undefined>;
  /** Removes a key; returns how many were removed (0 or 1). */
  delete(key: string): MaybePromise<number>;
  /** Removes keys; returns how many were removed. */
  multiDelete(keys: readonly string[]): MaybePromise<number>;
  /** Removes every key matching a Redis-style glob over final keys; returns how many were removed. */
  deletePattern(pattern: string): MaybePromise<number>;
  /** Removes every key in the store (memory store, Redis logical database). */
  clear(): MaybePromise<void>;
  /**
   * Stores `value` only if the key still holds `expected` (`undefined`: only if the key is absent),
   * atomically; returns whether it stored. Used by `Cache.optimisticLock`. Optional: a backend
   * without it cannot offer optimistic locks.
   */
  compareAndSet?(key: string, expected: unknown, value: unknown, ttlMs: number): MaybePromise<boolean>;
  /** Removes the key only if it holds `expected`, atomically; returns whether it did. Used by locks. */
  compareAndDelete?(key: string, expected: string): MaybePromise<boolean>;
  /** Sets a new ttl only if the key holds `expected`, atomically; returns whether it did. Used by locks. */
  compareAndExpire?(key: string, expected: string, ttlMs: number): MaybePromise<boolean>;
  /**
   * Walks the stored keys matching a Redis-style glob over final keys, in pages of about `count`
   * (Redis: `SCAN`, never `KEYS`). Optional: a backend without it cannot list keys.
   */
  scan?(pattern: string, count: number): AsyncIterable<string[]>;
  /** Sends a command straight to the underlying store. */
  raw(command: string, args: readonly unknown[]): MaybePromise<unknown>;
  /** Releases connections and timers. Idempotent. */
  close(): MaybePromise<void>;
}
