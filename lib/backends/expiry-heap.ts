/**
 * A binary min-heap of items by expiry time, kept as two parallel arrays (no node objects). An item
 * whose expiry changes is pushed again (or not at all: see Sweeper), and the heap never searches for
 * its old node: the caller, which knows each item's current expiry, skips the stale ones as they
 * come out. That keeps every update O(log n).
 */
export class ExpiryHeap<T> {
  #at: number[] = [];
  #items: T[] = [];

  get size(): number {
    return this.#at.length;
  }

  /** The earliest time pushed, stale pushes included; Infinity when the heap is empty. */
  get next(): number {
    return this.#at.length === 0 ? Infinity : this.#at[0]!;
  }

  /** Adds `item` to come out once `at` (epoch milliseconds) has passed. */
  push(at: number, item: T): void {
    const times = this.#at;
    const items = this.#items;
    let i = times.push(at) - 1;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= at) break;
      times[i] = times[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    times[i] = at;
    items[i] = item;
  }

  /**
   * Removes and yields every item pushed with a time at or before `now`, earliest first, with the
   * time it was pushed with. Stale pushes come out too (an item may come out more than once): the
   * caller decides what is due. Pushes made meanwhile come out too if they are due by `now`.
   */
  *popExpired(now: number): Generator<[at: number, item: T]> {
    while (this.#at.length > 0 && this.#at[0]! <= now) {
      const at = this.#at[0]!;
      yield [at, this.#popTop()];
    }
  }

  /** Empties the heap. */
  clear(): void {
    this.#at = [];
    this.#items = [];
  }

  /**
   * Replaces the whole heap with `items`, to come out at the matching `times` (both arrays are taken
   * over). Builds it bottom-up in O(n), where n pushes would cost O(n log n).
   */
  replace(times: number[], items: T[]): void {
    this.#at = times;
    this.#items = items;
    for (let i = (times.length >> 1) - 1; i >= 0; i--) this.#siftDown(i, times[i]!, items[i]!);
  }

  #popTop(): T {
    const times = this.#at;
    const items = this.#items;
    const top = items[0]!;
    const lastAt = times.pop()!;
    const last = items.pop()!;
    if (times.length > 0) this.#siftDown(0, lastAt, last);
    return top;
  }

  // Puts `item` (due at `at`) at index `i` or below, moving earlier children up.
  #siftDown(i: number, at: number, item: T): void {
    const times = this.#at;
    const items = this.#items;
    const n = times.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && times[right]! < times[left]! ? right : left;
      if (times[child]! >= at) break;
      times[i] = times[child]!;
      items[i] = items[child]!;
      i = child;
    }
    times[i] = at;
    items[i] = item;
  }
}
