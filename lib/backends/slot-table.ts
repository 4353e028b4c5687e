// The memory backend's entries as parallel arrays indexed by slot number, with the recency order
// threaded through two typed arrays: the layout lru-cache uses. A read touches a few array cells
// and never a per-entry object. With one object per entry, entries written while the app is busy
// end up scattered across the heap among its garbage, and every read then pays a cache miss for
// its entry: a memory `get` fell from 0.87× to 0.46× lru-cache when its entries had been written
// through cached() rather than in a tight loop (see docs/benchmarks.md).

/**
 * Slot 0 is the sentinel of the circular recency list: `next[0]` is the oldest slot and `prev[0]`
 * the newest, so linking and unlinking never test for an end.
 */
const SENTINEL = 0;

// Slots the arrays start with, before they grow by doubling.
const INITIAL_CAPACITY = 64;

/**
 * Entries by slot: key, value, expiry and size, in least-recently-used order. Slots are handed
 * out from a free list (or new), and the arrays grow by doubling up to `maxEntries` slots.
 */
export class SlotTable {
  /** The key in each slot (`undefined` when free). */
  readonly keys: (string | undefined)[] = [undefined];
  /** The value in each slot. */
  readonly values: unknown[] = [undefined];
  /**
   * How many times a slot in use was changed or freed (see MemoryBackend's revisionOf): the table
   * counts what it frees; the store counts its overwrites, counts and new expiries.
   */
  revision = 0;
  /** The sum of the sizes of the slots in use (what `maxBytes` bounds). */
  bytes = 0;
  /** Each slot's expiry in epoch milliseconds; 0 for never. */
  expiresAt: Float64Array;
  /** Each slot's size as counted for `maxBytes`. */
  sizes: Float64Array;
  /**
   * For the sweep: a time at which the slot is still due to come out of the expiry heap (0: none
   * known). It outlives the entry, since the push it stands for does: a new entry in the slot whose
   * expiry is no earlier is already covered by it.
   */
  dueAt: Float64Array;
  // Recency neighbours: `prev` points toward the oldest end.
  #next: Uint32Array;
  #prev: Uint32Array;
  readonly #free: number[] = [];
  readonly #maxSlots: number;

  /**
   * @param maxEntries - most entries kept (`Infinity` for no bound); one more may be held for a
   *   moment, between writing an entry and evicting the oldest.
   */
  constructor(maxEntries: number) {
    // The sentinel, the entries, and the one written before the oldest is evicted.
    this.#maxSlots = maxEntries + 2;
    const capacity = Math.min(INITIAL_CAPACITY, this.#maxSlots);
    this.expiresAt = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
    this.dueAt = new Float64Array(capacity);
    this.#next = new Uint32Array(capacity);
    this.#prev = new Uint32Array(capacity);
  }

  /** The least recently used slot, or 0 when the table is empty. */
  get oldest(): number {
    return this.#next[SENTINEL]!;
  }

  /** Stores an entry in a free slot as the most recently used, and returns the slot. */
  add(key: string, value: unknown, expiresAt: number, size: number): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.keys.length;
      if (slot === this.#next.length) this.#grow();
      this.keys.push(key);
      this.values.push(value);
    } else {
      this.keys[slot] = key;
      this.values[slot] = value;
    }
    this.expiresAt[slot] = expiresAt;
    this.sizes[slot] = size;
    this.bytes += size;
    this.#link(slot);
    return slot;
  }

  /** Frees a slot, dropping its key and value so they can be collected. */
  remove(slot: number): void {
    this.revision++;
    this.bytes -= this.sizes[slot]!;
    this.#unlink(slot);
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.#free.push(slot);
  }

  /** Whether a slot's entry has expired by `now` (0: it never expires). */
  expired(slot: number, now: number): boolean {
    const expiresAt = this.expiresAt[slot]!;
    return expiresAt !== 0 && expiresAt <= now;
  }

  /** Gives a slot in use another size. */
  resize(slot: number, size: number): void {
    this.bytes += size - this.sizes[slot]!;
    this.sizes[slot] = size;
  }

  /** Makes a slot the most recently used. */
  touch(slot: number): void {
    if (this.#prev[SENTINEL] === slot) return;
    this.#unlink(slot);
    this.#link(slot);
  }

  /** Frees every slot and gives back the grown arrays. */
  clear(): void {
    this.revision++;
    this.bytes = 0;
    this.keys.length = 1;
    this.values.length = 1;
    this.#free.length = 0;
    const capacity = Math.min(INITIAL_CAPACITY, this.#maxSlots);
    this.expiresAt = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
    this.dueAt = new Float64Array(capacity);
    this.#next = new Uint32Array(capacity);
    this.#prev = new Uint32Array(capacity);
  }

  /** The revision if each handle still points at its key and that key never expires, else -1. */
  steadyRevision(handles: readonly { readonly key: string; readonly hint: number }[]): number {
    for (const { key, hint } of handles) {
      if (hint < 0 || this.keys[hint] !== key || this.expiresAt[hint] !== 0) return -1;
    }
    return this.revision;
  }

  // Appends a slot at the newest end.
  #link(slot: number): void {
    const newest = this.#prev[SENTINEL]!;
    this.#next[newest] = slot;
    this.#prev[slot] = newest;
    this.#next[slot] = SENTINEL;
    this.#prev[SENTINEL] = slot;
  }

  #unlink(slot: number): void {
    const prev = this.#prev[slot]!;
    const next = this.#next[slot]!;
    this.#next[prev] = next;
    this.#prev[next] = prev;
  }

  #grow(): void {
    const capacity = Math.min(this.#next.length * 2, this.#maxSlots);
    this.expiresAt = grown(this.expiresAt, new Float64Array(capacity));
    this.sizes = grown(this.sizes, new Float64Array(capacity));
    this.dueAt = grown(this.dueAt, new Float64Array(capacity));
    this.#next = grown(this.#next, new Uint32Array(capacity));
    this.#prev = grown(this.#prev, new Uint32Array(capacity));
  }
}

function grown<T extends Float64Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
