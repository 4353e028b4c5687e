import { describeValue } from '../describe.js';
import { parseDuration, type Duration } from '../duration.js';
import { globToRegExp } from '../glob.js';
import { LinkedList } from '../linked-list.js';
import { NullSerializer } from '../serializers/null.js';
import type { Serializer } from '../serializers/serializer.js';
import type { Backend } from './backend.js';
import { ExpiryHeap } from './expiry-heap.js';

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /**
   * Most entries kept; the least recently used are evicted beyond it. `Infinity` for no bound.
   * @default 10_000
   */
  readonly maxSize?: number;
  /**
   * Most bytes of values kept (least recently used evicted beyond it); `0` for no bound. Sizes come
   * from `sizeOf`, or else from the encoded payload, so without `sizeOf` it needs a serializer other
   * than the `NullSerializer` default. A single value larger than `maxBytes` is refused.
   * @default 0
   */
  readonly maxBytes?: number;
  /** Size of a value in bytes, for `maxBytes` when values are stored as references. */
  readonly sizeOf?: (value: unknown, key: string) => number;
  /**
   * How often expired entries are reclaimed in the background (they are never returned either way).
   * @default '1s'
   */
  readonly sweepInterval?: Duration;
}

/** The frozen defaults of {@link MemoryBackendOptions}. */
export const MEMORY_BACKEND_DEFAULTS = Object.freeze({
  maxSize: 10_000,
  maxBytes: 0,
  sweepInterval: 1_000,
});

// One node of the recency list. `prev` points toward the least recently used end.
class Entry {
  prev: Entry | undefined = undefined;
  next: Entry | undefined = undefined;

  constructor(
    readonly key: string,
    public value: unknown,
    public expiresAt: number,
    public size: number,
  ) {}
}

// Compact the expiry heap when stale nodes outnumber live entries by this much.
const HEAP_SLACK = 1_024;

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
  readonly #entries = new Map<string, Entry>();
  readonly #expiries = new ExpiryHeap<Entry>();
  // Least recently used first.
  readonly #recency = new LinkedList<Entry>();
  #bytes = 0;
  #sweepTimer: NodeJS.Timeout | undefined = undefined;
  #closed = false;

  /**
   * @throws RangeError if `maxSize`, `maxBytes` or `sweepInterval` is out of range.
   * @throws TypeError if `sizeOf` is not a function.
   */
  constructor(options: MemoryBackendOptions = {}) {
    const { maxSize = MEMORY_BACKEND_DEFAULTS.maxSize, maxBytes = MEMORY_BACKEND_DEFAULTS.maxBytes } =
      options;
    if (
      typeof maxSize !== 'number' ||
      !(maxSize >= 1) ||
      (maxSize !== Infinity && !Number.isInteger(maxSize))
    ) {
      throw new RangeError(`maxSize must be a positive integer or Infinity; got ${describeValue(maxSize)}`);
    }
    if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`maxBytes must be a non-negative integer; got ${describeValue(maxBytes)}`);
    }
    if (options.sizeOf !== undefined && typeof options.sizeOf !== 'function') {
      throw new TypeError(`sizeOf must be a function; got ${describeValue(options.sizeOf)}`);
    }
    const sweepIntervalMs = parseDuration(
      options.sweepInterval ?? MEMORY_BACKEND_DEFAULTS.sweepInterval,
      'sweepInterval',
    );
    if (sweepIntervalMs === 0 || sweepIntervalMs > 2_147_483_647) {
      throw new RangeError(
        `sweepInterval must be between 1 ms and 24.8 days; got ${describeValue(options.sweepInterval)}`,
      );
    }
    this.maxSize = maxSize;
    this.maxBytes = maxBytes;
    this.sweepIntervalMs = sweepIntervalMs;
    this.#sizeOf = options.sizeOf;
    this.acceptsReferences = maxBytes === 0 || options.sizeOf !== undefined;
  }

  /** Entries held, including expired ones the sweep has not reclaimed yet. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held, as counted for `maxBytes` (0 when `maxBytes` is off). */
  get bytes(): number {
    return this.#bytes;
  }

  defaultSerializer(): Serializer<unknown> {
    return new NullSerializer();
  }

  get(key: string): unknown {
    return this.#read(key);
  }

  multiGet(keys: readonly string[]): unknown[] {
    return keys.map((key) => this.#read(key));
  }

  set(key: string, value: unknown, ttlMs: number): void {
    this.#write(key, value, ttlMs === 0 ? 0 : Date.now() + ttlMs, this.#measure(key, value));
  }

  add(key: string, value: unknown, ttlMs: number): boolean {
    if (this.#live(key) !== undefined) return false;
    this.#write(key, value, ttlMs === 0 ? 0 : Date.now() + ttlMs, this.#measure(key, value));
    return true;
  }

  multiSet(entries: readonly (readonly [string, unknown])[], ttlMs: number): void {
    // Measure everything first so a refused value leaves the store untouched.
    const sizes = entries.map(([key, value]) => this.#measure(key, value));
    const expiresAt = ttlMs === 0 ? 0 : Date.now() + ttlMs;
    entries.forEach(([key, value], i) => this.#write(key, value, expiresAt, sizes[i]!));
  }

  exists(key: string): boolean {
    return this.#live(key) !== undefined;
  }

  increment(key: string, delta: number, initial: unknown): number {
    const entry = this.#live(key);
    if (entry === undefined) {
      this.#write(key, initial, 0, this.#measure(key, initial));
      return delta;
    }
    const current = entry.value;
    let next: number;
    if (typeof current === 'number' && Number.isSafeInteger(current)) {
      next = current + delta;
      this.#checkCounter(key, next);
      entry.value = next;
    } else if (
      typeof current === 'string' &&
      /^-?\d{1,16}$/.test(current) &&
      Number.isSafeInteger(Number(current))
    ) {
      next = Number(current) + delta;
      this.#checkCounter(key, next);
      const text = String(next);
      this.#resize(entry, this.#measure(key, text));
      entry.value = text;
    } else {
      throw new TypeError(`cannot increment key "${key}": the stored value is not an integer`);
    }
    this.#recency.moveToEnd(entry);
    return next;
  }

  expire(key: string, ttlMs: number): boolean {
    const entry = this.#live(key);
    if (entry === undefined) return false;
    this.#setExpiry(entry, ttlMs);
    return true;
  }

  ttl(key: string): number | undefined {
    const entry = this.#live(key);
    if (entry === undefined) return undefined;
    return entry.expiresAt === 0 ? Infinity : Math.max(0, entry.expiresAt - Date.now());
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
    const matcher = globToRegExp(pattern);
    const now = Date.now();
    let removed = 0;
    for (const entry of this.#entries.values()) {
      if (!matcher.test(entry.key)) continue;
      if (entry.expiresAt === 0 || entry.expiresAt > now) removed++;
      this.#remove(entry);
    }
    return removed;
  }

  clear(): void {
    this.#clear();
  }

  async *scan(pattern: string, count: number): AsyncGenerator<string[]> {
    this.#sweep();
    const matcher = globToRegExp(pattern);
    const keys = [...this.#entries.keys()].filter((key) => matcher.test(key));
    for (let start = 0; start < keys.length; start += count) yield keys.slice(start, start + count);
  }

  compareAndSet(key: string, expected: unknown, value: unknown, ttlMs: number): boolean {
    const size = this.#measure(key, value);
    if (this.#live(key)?.value !== expected) return false;
    this.#write(key, value, ttlMs === 0 ? 0 : Date.now() + ttlMs, size);
    return true;
  }

  compareAndDelete(key: string, expected: string): boolean {
    const entry = this.#live(key);
    if (entry === undefined || entry.value !== expected) return false;
    this.#remove(entry);
    return true;
  }

  compareAndExpire(key: string, expected: string, ttlMs: number): boolean {
    const entry = this.#live(key);
    if (entry === undefined || entry.value !== expected) return false;
    this.#setExpiry(entry, ttlMs);
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
        this.#sweep();
        return this.#entries.size;
      case 'bytes':
        return this.#bytes;
      case 'keys': {
        this.#sweep();
        const [pattern] = args;
        const matcher = typeof pattern === 'string' ? globToRegExp(pattern) : undefined;
        const keys = [...this.#entries.keys()];
        return matcher === undefined ? keys : keys.filter((key) => matcher.test(key));
      }
      default:
        throw new TypeError(`memory backend has no raw command "${command}"; known: size, bytes, keys`);
    }
  }

  close(): void {
    this.#closed = true;
    this.#clear();
  }

  // Internal paths never call the public methods, so a subclass may override those freely.
  #read(key: string): unknown {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) {
      this.#remove(entry);
      return undefined;
    }
    this.#recency.moveToEnd(entry);
    return entry.value;
  }

  #setExpiry(entry: Entry, ttlMs: number): void {
    entry.expiresAt = ttlMs === 0 ? 0 : Date.now() + ttlMs;
    if (entry.expiresAt !== 0) this.#scheduleExpiry(entry);
  }

  #delete(key: string): number {
    const entry = this.#live(key);
    if (entry === undefined) return 0;
    this.#remove(entry);
    return 1;
  }

  #clear(): void {
    this.#entries.clear();
    this.#expiries.clear();
    this.#recency.clear();
    this.#bytes = 0;
    this.#stopSweep();
  }

  // The entry for `key` if it is present and unexpired; reclaims it if it has expired.
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) {
      this.#remove(entry);
      return undefined;
    }
    return entry;
  }

  #write(key: string, value: unknown, expiresAt: number, size: number): void {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = new Entry(key, value, expiresAt, size);
      this.#entries.set(key, entry);
      this.#recency.append(entry);
      this.#bytes += size;
    } else {
      entry.value = value;
      entry.expiresAt = expiresAt;
      this.#resize(entry, size);
      this.#recency.moveToEnd(entry);
    }
    if (expiresAt !== 0) this.#scheduleExpiry(entry);
    this.#evict();
  }

  #measure(key: string, value: unknown): number {
    if (this.maxBytes === 0) return 0;
    let size: number;
    if (this.#sizeOf !== undefined) size = this.#sizeOf(value, key);
    else if (typeof value === 'string') size = Buffer.byteLength(value);
    else if (value instanceof Uint8Array) size = value.byteLength;
    else {
      throw new TypeError(
        `memory backend with maxBytes cannot size the value of key "${key}": ` +
          'use a serializer other than NullSerializer, or give a sizeOf function',
      );
    }
    if (!Number.isFinite(size) || size < 0) {
      throw new RangeError(
        `sizeOf returned ${describeValue(size)} for key "${key}"; expected a non-negative number`,
      );
    }
    if (size > this.maxBytes) {
      throw new RangeError(`value of key "${key}" is ${size} bytes, more than maxBytes (${this.maxBytes})`);
    }
    return size;
  }

  #checkCounter(key: string, next: number): void {
    if (!Number.isSafeInteger(next)) {
      throw new RangeError(`incrementing key "${key}" leaves the safe integer range`);
    }
  }

  #resize(entry: Entry, size: number): void {
    this.#bytes += size - entry.size;
    entry.size = size;
  }

  #evict(): void {
    while (
      this.#recency.oldest !== undefined &&
      (this.#entries.size > this.maxSize || (this.maxBytes !== 0 && this.#bytes > this.maxBytes))
    ) {
      this.#remove(this.#recency.oldest);
    }
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.key);
    this.#recency.remove(entry);
    this.#bytes -= entry.size;
  }

  #scheduleExpiry(entry: Entry): void {
    this.#expiries.push(entry);
    if (this.#expiries.size > 2 * this.#entries.size + HEAP_SLACK) {
      this.#expiries.rebuild(this.#entries.values());
    }
    if (this.#sweepTimer === undefined && !this.#closed) {
      this.#sweepTimer = setInterval(() => this.#sweep(), this.sweepIntervalMs);
      this.#sweepTimer.unref();
    }
  }

  #sweep(): void {
    for (const entry of this.#expiries.popExpired(Date.now())) {
      if (this.#entries.get(entry.key) === entry) this.#remove(entry);
    }
    if (this.#expiries.size === 0) this.#stopSweep();
  }

  #stopSweep(): void {
    if (this.#sweepTimer !== undefined) {
      clearInterval(this.#sweepTimer);
      this.#sweepTimer = undefined;
    }
  }
}
