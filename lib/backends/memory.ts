import type { Clock } from '../clock.js';
import { describeValue } from '../describe.js';
import { parseDuration } from '../duration.js';
import { globMatcher } from '../glob.js';
import { JsonSerializer } from '../serializers/json.js';
import { NullSerializer } from '../serializers/null.js';
import type { Serializer } from '../serializers/serializer.js';
import type { Backend, KeyHandle, StoredWithTtl } from './backend.js';
import { incremented } from './counter.js';
import { checkOptions } from '../options-schema.js';
import {
  MEMORY_BACKEND_DEFAULTS,
  MEMORY_BACKEND_OPTIONS,
  type MemoryBackendOptions,
} from './memory-options.js';
import { SlotTable } from './slot-table.js';
import { pagesOf } from './pages.js';
import { Sweeper } from './sweeper.js';
import { sizeOfValue } from './value-size.js';

export { MEMORY_BACKEND_DEFAULTS, type MemoryBackendOptions } from './memory-options.js';

/**
 * MemoryBackend's count of changes to entries already present (overwritten, removed, evicted,
 * expired, cleared, counted, given another expiry); adding a new key is not one. While it stays
 * the same, every key holds what it held: how a tagged hit skips re-reading its tags. @internal
 */
export const revisionOf: unique symbol = Symbol('larder.memoryRevision');

/**
 * An in-process LRU store with per-key expiry. Every operation answers synchronously, so a cache
 * over it pays no timeout timer. Expired entries are never returned and are reclaimed by an
 * unref'd background sweep, so a cache filled with short-lived keys shrinks back without reads.
 *
 * It is written here rather than taken from `lru-cache` because expiry needs a heap-driven sweep
 * (lru-cache reclaims expired entries only on access or with one timer per entry), and because the
 * whole store is a few hundred lines that sit on the hot path.
 *
 * @example
 * ```ts
 * const cache = new Cache({ backend: new MemoryBackend({ maxSize: 50_000 }) });
 * ```
 */
export class MemoryBackend implements Backend {
  readonly name = 'memory';
  readonly acceptsReferences: boolean;
  readonly synchronous = true;
  readonly maxSize: number;
  readonly maxBytes: number;
  readonly sweepIntervalMs: number;

  readonly #sizeOf: ((value: unknown, key: string) => number) | undefined;
  // Each key's slot in the table, which holds the entries themselves in recency order.
  readonly #slotOf = new Map<string, number>();
  readonly #table: SlotTable;
  readonly #clock: Clock;
  readonly #sweeper: Sweeper;

  /**
   * @throws TypeError for an unknown option (naming the closest known one) or a `sizeOf` that is not
   *   a function, or a `clock` without a `now` method; RangeError if `maxSize`, `maxBytes` or `sweepInterval` is out of range.
   */
  constructor(options: MemoryBackendOptions = {}) {
    checkOptions(options, MEMORY_BACKEND_OPTIONS, 'MemoryBackend');
    const { maxSize = MEMORY_BACKEND_DEFAULTS.maxSize, maxBytes = MEMORY_BACKEND_DEFAULTS.maxBytes } =
      options;
    const clock = options.clock ?? MEMORY_BACKEND_DEFAULTS.clock;
    if (typeof (clock as Partial<Clock> | null)?.now !== 'function') {
      throw new TypeError(`clock must be an object with a now() method; got ${describeValue(clock)}`);
    }
    const sweepIntervalMs = parseDuration(
      options.sweepInterval ?? MEMORY_BACKEND_DEFAULTS.sweepInterval,
      'sweepInterval',
    );
    this.maxSize = maxSize;
    this.maxBytes = maxBytes;
    this.sweepIntervalMs = sweepIntervalMs;
    this.#sizeOf = options.sizeOf;
    this.#table = new SlotTable(maxSize);
    this.#clock = clock;
    this.#sweeper = new Sweeper(this.#table, clock, sweepIntervalMs, (slot) => this.#remove(slot));
    this.acceptsReferences = maxBytes === 0 || options.sizeOf !== undefined;
  }

  /** Entries held, including expired ones the sweep has not reclaimed yet. */
  get size(): number {
    return this.#slotOf.size;
  }

  /** Bytes held, as counted for `maxBytes` (0 when `maxBytes` is off). */
  get bytes(): number {
    return this.#table.bytes;
  }

  defaultSerializer(): Serializer<unknown> {
    // With maxBytes and no sizeOf, values must be payloads whose size can be counted.
    return this.acceptsReferences ? new NullSerializer() : new JsonSerializer();
  }

  get(key: string): unknown {
    return this.#read(key);
  }

  /**
   * The revision (see {@link revisionOf}); with `handles`, only if each still points at its key
   * and that key never expires (else -1): an expiry passes without any change to count.
   * @internal
   */
  [revisionOf](handles?: readonly KeyHandle[]): number {
    return handles === undefined ? this.#table.revision : this.#table.steadyRevision(handles);
  }

  getWithTtl(key: string): StoredWithTtl | undefined {
    const slot = this.#live(key);
    if (slot === undefined) return undefined;
    const table = this.#table;
    table.touch(slot);
    const expiresAt = table.expiresAt[slot]!;
    return {
      value: table.values[slot],
      ttlMs: expiresAt === 0 ? Infinity : Math.max(0, expiresAt - this.#clock.now()),
    };
  }

  multiGet(keys: readonly string[]): unknown[] {
    return keys.map((key) => this.#read(key));
  }

  set(key: string, value: unknown, ttlMs: number): void {
    this.#write(key, value, ttlMs === 0 ? 0 : this.#clock.now() + ttlMs, this.#measure(key, value), -1);
  }

  /**
   * `set(handle.key, …)`, starting from the slot the key was found in last time, as {@link peek}
   * reads: when that slot still holds the key, the write skips the hash lookup. A subclass's own
   * `set` is honoured, and answered as it answers.
   */
  put(handle: KeyHandle, value: unknown, ttlMs: number): void {
    const { key } = handle;
    if (this.set !== MemoryBackend.prototype.set) return this.set(key, value, ttlMs);
    const expiresAt = ttlMs === 0 ? 0 : this.#clock.now() + ttlMs;
    handle.hint = this.#write(key, value, expiresAt, this.#measure(key, value), handle.hint);
  }

  add(key: string, value: unknown, ttlMs: number): boolean {
    if (this.#live(key) !== undefined) return false;
    this.#write(key, value, ttlMs === 0 ? 0 : this.#clock.now() + ttlMs, this.#measure(key, value), -1);
    return true;
  }

  multiSet(entries: readonly (readonly [string, unknown])[], ttlMs: number): void {
    // Measure everything first so a refused value leaves the store untouched.
    const sizes = entries.map(([key, value]) => this.#measure(key, value));
    const expiresAt = ttlMs === 0 ? 0 : this.#clock.now() + ttlMs;
    entries.forEach(([key, value], i) => this.#write(key, value, expiresAt, sizes[i]!, -1));
  }

  exists(key: string): boolean {
    return this.#live(key) !== undefined;
  }

  increment(key: string, delta: number, initial: unknown): number {
    const slot = this.#live(key);
    if (slot === undefined) {
      this.#write(key, initial, 0, this.#measure(key, initial), -1);
      return delta;
    }
    const table = this.#table;
    const next = incremented(key, table.values[slot], delta);
    if (typeof next === 'string') table.resize(slot, this.#measure(key, next));
    table.values[slot] = next;
    this.#table.revision++;
    table.touch(slot);
    return Number(next);
  }

  expire(key: string, ttlMs: number): boolean {
    const slot = this.#live(key);
    if (slot === undefined) return false;
    this.#setExpiry(slot, ttlMs);
    return true;
  }

  ttl(key: string): number | undefined {
    const slot = this.#live(key);
    if (slot === undefined) return undefined;
    const expiresAt = this.#table.expiresAt[slot]!;
    return expiresAt === 0 ? Infinity : Math.max(0, expiresAt - this.#clock.now());
  }

  delete(key: string): number {
    return this.#delete(key);
  }

  multiDelete(keys: readonly string[]): number {
    let removed = 0;
    for (const key of keys) removed += this.#delete(key);
    return removed;
  }

  deletePattern(pattern: string): number {
    const matches = globMatcher(pattern);
    const now = this.#clock.now();
    let removed = 0;
    for (const [key, slot] of this.#slotOf) {
      if (!matches(key)) continue;
      if (!this.#table.expired(slot, now)) removed++;
      this.#remove(slot);
    }
    return removed;
  }

  clear(prefix: string): void {
    if (prefix === '') {
      this.#clear();
      return;
    }
    for (const [key, slot] of this.#slotOf) if (key.startsWith(prefix)) this.#remove(slot);
  }

  async *scan(pattern: string, count: number, signal?: AbortSignal): AsyncGenerator<string[]> {
    yield* pagesOf(this.#matching(pattern), count, signal);
  }

  async *scanEntries(
    pattern: string,
    count: number,
    signal?: AbortSignal,
  ): AsyncGenerator<[string, unknown][]> {
    for (const keys of pagesOf(this.#matching(pattern), count, signal)) {
      const page: [string, unknown][] = [];
      for (const key of keys) {
        const slot = this.#live(key);
        if (slot !== undefined) page.push([key, this.#table.values[slot]]);
      }
      yield page;
    }
  }

  compareAndSet(key: string, expected: unknown, value: unknown, ttlMs: number): boolean {
    const size = this.#measure(key, value);
    const slot = this.#live(key);
    if ((slot === undefined ? undefined : this.#table.values[slot]) !== expected) return false;
    this.#write(key, value, ttlMs === 0 ? 0 : this.#clock.now() + ttlMs, size, -1);
    return true;
  }

  compareAndDelete(key: string, expected: string): boolean {
    const slot = this.#live(key);
    if (slot === undefined || this.#table.values[slot] !== expected) return false;
    this.#remove(slot);
    return true;
  }

  compareAndExpire(key: string, expected: string, ttlMs: number): boolean {
    const slot = this.#live(key);
    if (slot === undefined || this.#table.values[slot] !== expected) return false;
    this.#setExpiry(slot, ttlMs);
    return true;
  }

  /**
   * Inspection commands: `raw('size')` → live entries, `raw('bytes')` → bytes counted for
   * `maxBytes`, `raw('keys', glob?)` → live keys (optionally matching a Redis-style glob).
   *
   * @throws TypeError for any other command.
   */
  raw(command: string, args: readonly unknown[]): unknown {
    switch (command.toLowerCase()) {
      case 'size':
        this.#sweeper.sweep();
        return this.#slotOf.size;
      case 'bytes':
        return this.#table.bytes;
      case 'keys': {
        this.#sweeper.sweep();
        const [pattern] = args;
        const keys = [...this.#slotOf.keys()];
        return typeof pattern === 'string' ? keys.filter(globMatcher(pattern)) : keys;
      }
      default:
        throw new TypeError(`memory backend has no raw command "${command}"; known: size, bytes, keys`);
    }
  }

  close(): void {
    this.#sweeper.close();
    this.#clear();
  }

  /**
   * `get(handle.key)`, starting from the slot the key was found in last time: when that slot
   * still holds the key, the read skips the hash lookup. A subclass's own `get` is honoured.
   */
  peek(handle: KeyHandle): unknown {
    const { key, hint } = handle;
    if (this.get !== MemoryBackend.prototype.get) return this.get(key);
    if (hint >= 0 && this.#table.keys[hint] === key) return this.#readSlot(hint);
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return undefined;
    handle.hint = slot;
    return this.#readSlot(slot);
  }

  // Internal paths never call the public methods, so a subclass may override those freely.
  #read(key: string): unknown {
    const slot = this.#slotOf.get(key);
    return slot === undefined ? undefined : this.#readSlot(slot);
  }

  #readSlot(slot: number): unknown {
    const table = this.#table;
    const expiresAt = table.expiresAt[slot]!;
    if (expiresAt !== 0 && expiresAt <= this.#clock.now()) {
      this.#remove(slot);
      return undefined;
    }
    table.touch(slot);
    return table.values[slot];
  }

  #matching(pattern: string): string[] {
    this.#sweeper.sweep();
    return [...this.#slotOf.keys()].filter(globMatcher(pattern));
  }

  #setExpiry(slot: number, ttlMs: number): void {
    this.#table.revision++;
    const expiresAt = ttlMs === 0 ? 0 : this.#clock.now() + ttlMs;
    this.#table.expiresAt[slot] = expiresAt;
    if (expiresAt !== 0) this.#sweeper.schedule(slot, expiresAt, this.#slotOf.size);
  }

  #delete(key: string): number {
    const slot = this.#live(key);
    if (slot === undefined) return 0;
    this.#remove(slot);
    return 1;
  }

  #clear(): void {
    this.#slotOf.clear();
    this.#table.clear();
    this.#sweeper.clear();
  }

  // The slot of `key` if it is present and unexpired; reclaims it if it has expired.
  #live(key: string): number | undefined {
    const slot = this.#slotOf.get(key);
    if (slot !== undefined && this.#table.expired(slot, this.#clock.now())) {
      this.#remove(slot);
      return undefined;
    }
    return slot;
  }

  // Stores an entry and returns its slot; `hint` is a slot that may still hold `key` (-1: none).
  #write(key: string, value: unknown, expiresAt: number, size: number, hint: number): number {
    const table = this.#table;
    let slot = hint >= 0 && table.keys[hint] === key ? hint : this.#slotOf.get(key);
    if (slot === undefined) {
      slot = table.add(key, value, expiresAt, size);
      this.#slotOf.set(key, slot);
    } else {
      this.#table.revision++;
      table.values[slot] = value;
      table.expiresAt[slot] = expiresAt;
      table.resize(slot, size);
      table.touch(slot);
    }
    if (expiresAt !== 0) this.#sweeper.schedule(slot, expiresAt, this.#slotOf.size);
    this.#evict();
    return slot;
  }

  #measure(key: string, value: unknown): number {
    return this.maxBytes === 0 ? 0 : sizeOfValue(key, value, this.maxBytes, this.#sizeOf);
  }

  #evict(): void {
    const table = this.#table;
    while (
      table.oldest !== 0 &&
      (this.#slotOf.size > this.maxSize || (this.maxBytes !== 0 && table.bytes > this.maxBytes))
    ) {
      this.#remove(table.oldest);
    }
  }

  #remove(slot: number): void {
    const table = this.#table;
    this.#slotOf.delete(table.keys[slot]!);
    table.remove(slot);
  }
}
