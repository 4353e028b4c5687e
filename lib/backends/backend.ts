import type { MaybePromise } from '../promise.js';
import type { Serializer } from '../serializers/serializer.js';

/**
 * The contract between a {@link Cache} and a store: a small core every store can honour, and
 * optional capabilities a store offers only if it can do them properly. The cache has already
 * built the final key, validated every argument and encoded every value, so a backend only stores
 * and fetches. docs/writing-a-backend.md walks through writing one, and `larder/testing` checks it.
 *
 * Methods may answer synchronously (the memory backend does, and then the cache skips its timeout
 * timer) or with a promise. A `ttlMs` of `0` means "never expires"; any other is a positive whole
 * number of milliseconds, possibly beyond a timer's 24.8-day limit. Anything a method throws or
 * rejects with reaches the caller as a `BackendError` (its `cause`), unless it is a `LarderError`.
 *
 * Keys under {@link RESERVED_KEY_PREFIX} are larder's own bookkeeping (locks): `scan` and
 * `deletePattern` must leave them out unless the pattern itself starts with that prefix.
 * {@link globMatcher} does it.
 */
export interface Backend {
  /** Short name for errors and logs, e.g. `'memory'`. */
  readonly name: string;
  /** Whether values may be stored as live references (only then is {@link NullSerializer} allowed). */
  readonly acceptsReferences: boolean;
  /**
   * `true` when every method answers synchronously, never with a promise (the memory backend). A
   * hint that lets the cache tell a value from a pending answer by a cheaper check. Leave it out
   * if unsure.
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
  /** Stores a payload only if the key is absent (or expired); returns whether it stored it. Atomic. */
  add(key: string, value: unknown, ttlMs: number): MaybePromise<boolean>;
  /** Removes a key; returns how many were removed (0 or 1). */
  delete(key: string): MaybePromise<number>;
  /** Removes keys; returns how many were removed (a key given twice counts once). */
  multiDelete(keys: readonly string[]): MaybePromise<number>;
  /** Returns whether the key is present and unexpired. */
  exists(key: string): MaybePromise<boolean>;
  /** Sets a new ttl (`0` removes the expiry); returns `false` if the key is missing. */
  expire(key: string, ttlMs: number): MaybePromise<boolean>;
  /** Returns ms left, `Infinity` with no expiry, `undefined` if the key is missing. */
  ttl(key: string): MaybePromise<number | undefined>;
  /**
   * Removes every key that starts with `prefix`; `''` empties the whole store (the memory store,
   * a Redis logical database), larder's own keys included.
   */
  clear(prefix: string): MaybePromise<void>;
  /** Releases connections and timers. Idempotent. */
  close(): MaybePromise<void>;

  /**
   * Capability: `get(handle.key)` answered on the spot, never with a promise. It may keep a hint
   * in `handle.hint` of where it found the entry, and start from it next time (checking that it
   * still holds that key). A cache over a backend with `peek` answers gets without a promise.
   */
  peek?(handle: KeyHandle): unknown;
  /**
   * Capability: `set(handle.key, value, ttlMs)`, starting from the place `handle.hint` points at
   * when it still holds that key (as {@link peek} reads), and keeping the new place in the hint. A
   * namespaced cache writes remembered keys with it, so that a write of a hot key skips the hash
   * lookup its key's memo already paid for. It answers as `set` does (the cache awaits a promise).
   */
  put?(handle: KeyHandle, value: unknown, ttlMs: number): MaybePromise<void>;
  /**
   * Capability: `get` and `ttl` of one key in one step (one round trip, seen at one moment): the
   * payload and its ms left (`Infinity` with no expiry), or `undefined` for a miss. Without it the
   * cache's `getWithTtl` calls `get`, then `ttl`.
   */
  getWithTtl?(key: string): MaybePromise<StoredWithTtl | undefined>;
  /**
   * Capability: what `exists` and `ttl` need of one key, in one step (one round trip, seen at one
   * moment), without its payload: its ms left (`Infinity` with no expiry) and the first
   * `headLength` bytes (`headLength` ≥ 1) of its payload, or `undefined` for a miss. The cache
   * tells a tagged entry by its first bytes, so `exists` and `ttl` of an untagged entry move no
   * payload; without it they read the whole payload with `get`. A backend holding payloads in
   * process (nothing travels) gains nothing by it.
   */
  stat?(key: string, headLength: number): MaybePromise<KeyStat | undefined>;
  /**
   * Capability (tags): `get(key)`, and when the payload is a tagged entry (its layout is in
   * docs/tags.md), the payloads of the tag keys its header names, read at the same moment (one
   * round trip): `{ value, tagValues }`, or `undefined` for a miss. `tagValues` is `undefined` for
   * an untagged payload, or when the tag keys could not be read with it (the cache reads them
   * then). Reads that expect a tagged entry use it, so that its tags cost no round trip of their
   * own; plain gets keep using `get`.
   */
  getWithTags?(key: string): MaybePromise<StoredWithTags | undefined>;
  /** Capability: stores every entry with the same ttl, all or nothing. Without it `multiSet` writes one by one. */
  multiSet?(entries: readonly (readonly [string, unknown])[], ttlMs: number): MaybePromise<void>;
  /**
   * Capability (counters): adds `delta` to the integer stored at `key` and returns the new value,
   * keeping the key's ttl. A missing key is created holding `initial` (the encoded `delta`). Throws
   * `NotAnIntegerError` if the stored value is not an integer, `OutOfRangeError` if the result
   * would leave the safe integer range (both exported; any other error is a `BackendError`).
   */
  increment?(key: string, delta: number, initial: unknown): MaybePromise<number>;
  /** Capability: removes every key matching a Redis-style glob over final keys; returns how many. */
  deletePattern?(pattern: string): MaybePromise<number>;
  /**
   * Capability (key listing): walks the stored keys matching a Redis-style glob over final keys,
   * in pages of about `count` (Redis: `SCAN`, never `KEYS`). Stops early once `signal` aborts.
   */
  scan?(pattern: string, count: number, signal?: AbortSignal): AsyncIterable<string[]>;
  /**
   * Capability (entry listing): `scan` with each key's payload read in the same pass, as pages of
   * `[final key, payload]` of live entries. Without it, `cache.entries` reads each `scan` page
   * with `multiGet`.
   */
  scanEntries?(
    pattern: string,
    count: number,
    signal?: AbortSignal,
  ): AsyncIterable<(readonly [string, unknown])[]>;
  /**
   * Capability (optimistic locks): stores `value` only if the key still holds `expected`
   * (`undefined`: only if the key is absent), atomically; returns whether it stored.
   */
  compareAndSet?(key: string, expected: unknown, value: unknown, ttlMs: number): MaybePromise<boolean>;
  /** Capability (locks): removes the key only if it holds `expected`, atomically; returns whether it did. */
  compareAndDelete?(key: string, expected: string): MaybePromise<boolean>;
  /** Capability (locks): sets a new ttl only if the key holds `expected`, atomically; returns whether it did. */
  compareAndExpire?(key: string, expected: string, ttlMs: number): MaybePromise<boolean>;
  /** Capability: sends a command straight to the underlying store. */
  raw?(command: string, args: readonly unknown[]): MaybePromise<unknown>;
}

/** A payload with its ms left, as {@link Backend.getWithTtl} answers it. */
export interface StoredWithTtl {
  /** The payload, as `get` answers it. */
  readonly value: unknown;
  /** Ms left, `Infinity` with no expiry. */
  readonly ttlMs: number;
}

/** A payload with its tag keys' payloads, as {@link Backend.getWithTags} answers it. */
export interface StoredWithTags {
  /** The payload, as `get` answers it. */
  readonly value: unknown;
  /** The payloads of the tag keys the entry names, in its header's order (`undefined` for a missing one). */
  readonly tagValues: readonly unknown[] | undefined;
}

/** What {@link Backend.stat} answers for a key that is there. */
export interface KeyStat {
  /** Ms left, `Infinity` with no expiry. */
  readonly ttlMs: number;
  /**
   * The payload's first `headLength` bytes (all of them if it is shorter), when `get` would answer
   * bytes; `undefined` when the key holds no bytes (a Redis list, say), which no tagged entry is.
   */
  readonly head: Uint8Array | undefined;
}

/**
 * A final key as a backend reads it, with a hint a backend may keep of where it found the entry
 * (see {@link Backend.peek}). The cache remembers handles of hot keys, so that a hit neither
 * builds the key string again nor, on the memory backend, hashes it.
 */
export class KeyHandle {
  /** The backend's hint to where the entry is; -1 for none yet. Only the backend reads it. */
  hint = -1;

  constructor(readonly key: string) {}
}

/**
 * The prefix of larder's own keys (locks live at `__larder:lock:<final key>`), outside every
 * namespace, so that `clear`, `deletePattern` and `scan` of a namespace never see them.
 */
export const RESERVED_KEY_PREFIX = '__larder:';
