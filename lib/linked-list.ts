// A doubly linked list threaded through its nodes' own `prev`/`next` fields: append, remove and
// move-to-end in O(1) with no allocation. The cache's waiting deadlines are kept this way. (The
// memory backend threads its recency order through typed arrays instead: see slot-table.ts.)

/** What a node of a {@link LinkedList} carries: its neighbours, `prev` toward the oldest end. */
export interface Linked<N> {
  prev: N | undefined;
  next: N | undefined;
}

export class LinkedList<N extends Linked<N>> {
  /** The node appended longest ago. */
  oldest: N | undefined = undefined;
  /** The node appended last. */
  newest: N | undefined = undefined;

  append(node: N): void {
    node.prev = this.newest;
    node.next = undefined;
    if (this.newest === undefined) this.oldest = node;
    else this.newest.next = node;
    this.newest = node;
  }

  /** Unlinks a node of this list. */
  remove(node: N): void {
    if (node.prev === undefined) this.oldest = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.newest = node.prev;
    else node.next.prev = node.prev;
    node.prev = node.next = undefined;
  }

  /** Makes a node of this list the newest. */
  moveToEnd(node: N): void {
    if (node === this.newest) return;
    this.remove(node);
    this.append(node);
  }

  /** Whether the node is in this list (a removed node has no neighbours and is not the oldest). */
  holds(node: N): boolean {
    return node.prev !== undefined || this.oldest === node;
  }

  clear(): void {
    this.oldest = this.newest = undefined;
  }
}
