/** Something with an absolute expiry time in epoch milliseconds. */
export interface Expiring {
  expiresAt: number;
}

interface HeapNode<T> {
  readonly at: number;
  readonly item: T;
}

/**
 * A binary min-heap of items by the expiry time they had when pushed. Items whose expiry changes
 * are simply pushed again; stale nodes are recognised on pop (their `at` no longer matches) and
 * dropped, which keeps every update O(log n) with no search.
 */
export class ExpiryHeap<T extends Expiring> {
  #nodes: HeapNode<T>[] = [];

  get size(): number {
    return this.#nodes.length;
  }

  push(item: T): void {
    const nodes = this.#nodes;
    const node = { at: item.expiresAt, item };
    let i = nodes.push(node) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (nodes[parent]!.at <= node.at) break;
      nodes[i] = nodes[parent]!;
      i = parent;
    }
    nodes[i] = node;
  }

  /**
   * Removes and yields every item whose pushed expiry is at or before `now` and still current
   * (its `expiresAt` was not changed since). The caller decides whether the item is still live.
   */
  *popExpired(now: number): Generator<T> {
    const nodes = this.#nodes;
    while (nodes.length > 0 && nodes[0]!.at <= now) {
      const top = this.#popTop();
      if (top.item.expiresAt === top.at) yield top.item;
    }
  }

  /** Replaces the contents with `items`, dropping every stale node (O(n)). */
  rebuild(items: Iterable<T>): void {
    this.#nodes = [];
    for (const item of items) if (item.expiresAt !== 0) this.push(item);
  }

  clear(): void {
    this.#nodes = [];
  }

  #popTop(): HeapNode<T> {
    const nodes = this.#nodes;
    const top = nodes[0]!;
    const last = nodes.pop()!;
    if (nodes.length > 0) {
      let i = 0;
      const n = nodes.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && nodes[right]!.at < nodes[left]!.at ? right : left;
        if (nodes[child]!.at >= last.at) break;
        nodes[i] = nodes[child]!;
        i = child;
      }
      nodes[i] = last;
    }
    return top;
  }
}
