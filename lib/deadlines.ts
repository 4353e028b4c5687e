// The time limit of a cache's operations, with one timer for all of them. Arming and clearing a
// timer per operation is measurable on a busy Redis path; but every operation of a cache under its
// default limit has the same duration, so the order operations start in is also the order their
// deadlines fall in. They wait in a linked list in that order, each leaves it in O(1) when it
// settles, and a single timer only ever watches the oldest.

/** Builds the error an operation fails with when its deadline passes. */
export type TimeoutErrorFactory = (op: string, key: string | undefined) => Error;

class Waiting {
  prev: Waiting | undefined = undefined;
  next: Waiting | undefined = undefined;

  constructor(
    readonly deadline: number,
    readonly reject: (error: Error) => void,
    readonly op: string,
    readonly key: string | undefined,
  ) {}
}

/** Races promises against one shared duration. */
export class Deadlines {
  readonly #ms: number;
  readonly #timeoutError: TimeoutErrorFactory;
  #oldest: Waiting | undefined;
  #newest: Waiting | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #expire = (): void => this.#onTimer();

  /** @param ms - the duration, above 0 and within setTimeout's range. */
  constructor(ms: number, timeoutError: TimeoutErrorFactory) {
    this.#ms = ms;
    this.#timeoutError = timeoutError;
  }

  /**
   * Settles as `pending` does, unless the duration passes first: then it rejects with the
   * factory's error for `op` and `key`. `pending` keeps a handler, so a late rejection is never
   * unhandled.
   */
  race<T>(pending: PromiseLike<T>, op: string, key: string | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiting = new Waiting(performance.now() + this.#ms, reject, op, key);
      this.#append(waiting);
      pending.then(
        (value) => {
          this.#remove(waiting);
          resolve(value);
        },
        (error: unknown) => {
          this.#remove(waiting);
          reject(error);
        },
      );
    });
  }

  #append(waiting: Waiting): void {
    waiting.prev = this.#newest;
    if (this.#newest === undefined) this.#oldest = waiting;
    else this.#newest.next = waiting;
    this.#newest = waiting;
    if (this.#timer === undefined) this.#arm(waiting.deadline);
  }

  // Unlinks an entry; an entry already unlinked (it timed out) is left alone.
  #remove(waiting: Waiting): void {
    if (waiting.prev === undefined && this.#oldest !== waiting) return;
    if (waiting.prev === undefined) this.#oldest = waiting.next;
    else waiting.prev.next = waiting.next;
    if (waiting.next === undefined) this.#newest = waiting.prev;
    else waiting.next.prev = waiting.prev;
    waiting.prev = waiting.next = undefined;
  }

  #arm(deadline: number): void {
    // +1: a timer may fire a fraction of a millisecond early, which would only re-arm it.
    this.#timer = setTimeout(this.#expire, Math.max(0, deadline - performance.now()) + 1);
    this.#timer.unref();
  }

  // Fails every operation whose deadline has passed, then watches the next oldest. An entry that
  // settled in the meantime has already left the list, so the timer may find nothing to do.
  #onTimer(): void {
    this.#timer = undefined;
    const now = performance.now();
    let oldest = this.#oldest;
    while (oldest !== undefined && oldest.deadline <= now) {
      this.#remove(oldest);
      oldest.reject(this.#timeoutError(oldest.op, oldest.key));
      oldest = this.#oldest;
    }
    if (oldest !== undefined) this.#arm(oldest.deadline);
  }
}
