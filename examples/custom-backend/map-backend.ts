// A larder backend written as a third party would write one: a Map of payloads with expiry times.
// It imports only larder's public API. docs/writing-a-backend.md explains each part; the test
// beside it (map-backend.test.ts) runs larder's conformance suites over it.
import { JsonSerializer, type Backend, type Serializer } from 'larder';

/** Options of {@link MapBackend}. */
export interface MapBackendOptions {
  /** Where the time comes from; a test passes larder/testing's ManualClock. @default Date */
  readonly clock?: { now(): number };
}

// What a serializer hands a backend that does not take live references: text or bytes.
type Payload = string | Uint8Array;

interface Entry {
  readonly payload: Payload;
  /** When it expires, in the clock's ms; 0 for never (a ttl of 0 means "never expires"). */
  expiresAt: number;
}

/** An in-process store of payloads. The core methods, plus one capability: `multiSet`. */
export class MapBackend implements Backend {
  readonly name = 'map';
  // It stores what a serializer made of a value, never the value itself, so a cache over it must
  // have a serializer other than NullSerializer.
  readonly acceptsReferences = false;
  // Every method answers at once, never with a promise: a hint that saves the cache some work.
  readonly synchronous = true;

  readonly #entries = new Map<string, Entry>();
  readonly #clock: { now(): number };

  constructor(options: MapBackendOptions = {}) {
    this.#clock = options.clock ?? Date;
  }

  /** What a cache over this backend uses when it is given no serializer. */
  defaultSerializer(): Serializer<unknown> {
    return new JsonSerializer();
  }

  get(key: string): Payload | undefined {
    return this.#live(key)?.payload;
  }

  multiGet(keys: readonly string[]): (Payload | undefined)[] {
    return keys.map((key) => this.get(key));
  }

  set(key: string, value: unknown, ttlMs: number): void {
    this.#entries.set(key, { payload: payloadOf(value), expiresAt: this.#expiry(ttlMs) });
  }

  // Atomic as it is: nothing else runs between the check and the write (no await in between).
  add(key: string, value: unknown, ttlMs: number): boolean {
    if (this.#live(key) !== undefined) return false;
    this.set(key, value, ttlMs);
    return true;
  }

  delete(key: string): number {
    return this.#live(key) !== undefined && this.#entries.delete(key) ? 1 : 0;
  }

  // A key given twice is found the first time only, so it counts once.
  multiDelete(keys: readonly string[]): number {
    return keys.reduce((removed, key) => removed + this.delete(key), 0);
  }

  exists(key: string): boolean {
    return this.#live(key) !== undefined;
  }

  expire(key: string, ttlMs: number): boolean {
    const entry = this.#live(key);
    if (entry === undefined) return false;
    entry.expiresAt = this.#expiry(ttlMs);
    return true;
  }

  ttl(key: string): number | undefined {
    const entry = this.#live(key);
    if (entry === undefined) return undefined;
    return entry.expiresAt === 0 ? Infinity : entry.expiresAt - this.#clock.now();
  }

  // '' empties the whole store, larder's own keys (under '__larder:') included.
  clear(prefix: string): void {
    if (prefix === '') return this.#entries.clear();
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }

  close(): void {
    this.#entries.clear();
  }

  /** Capability: every entry with the same ttl, all or nothing: every payload is checked first. */
  multiSet(entries: readonly (readonly [string, unknown])[], ttlMs: number): void {
    const payloads = entries.map(([, value]) => payloadOf(value));
    const expiresAt = this.#expiry(ttlMs);
    entries.forEach(([key], i) => this.#entries.set(key, { payload: payloads[i]!, expiresAt }));
  }

  // The entry if it is there and unexpired. An expired one is dropped when it is next touched (a
  // real store would also sweep them, so that keys nobody reads again do not pile up).
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #expiry(ttlMs: number): number {
    return ttlMs === 0 ? 0 : this.#clock.now() + ttlMs;
  }
}

// Anything thrown reaches the caller as a BackendError whose cause is this TypeError.
function payloadOf(value: unknown): Payload {
  if (typeof value === 'string') return value;
  // A copy, so that a caller reusing its buffer cannot change what is stored.
  if (value instanceof Uint8Array) return value.slice();
  throw new TypeError(`the map backend stores strings or bytes; got ${typeof value}`);
}
