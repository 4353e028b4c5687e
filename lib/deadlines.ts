// The time limit of a cache's operations, with one timer for all of them. Arming and clearing a
// timer per operation is measurable on a busy Redis path; but every operation of a cache under its
// default limit has the same duration, so the order operations start in is also the order their
// deadlines fall in. They wait in a linked list in that order, each leaves it in O(1) when it
// settles, and a single timer only ever watches the oldest.
import { LinkedList } from './linked-list.js';

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
  readonly #waiting = new LinkedList<Waiting>();
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
    this.#waiting.append(waiting);
    if (this.#timer === undefined) this.#arm(waiting.deadline);
  }

  // Unlinks an entry; an entry already unlinked (it timed out) is left alone.
  #remove(waiting: Waiting): void {
    if (this.#waiting.holds(waiting)) this.#waiting.remove(waiting);
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
    let oldest = this.#waiting.oldest;
    while (oldest !== undefined && oldest.deadline <= now) {
      this.#waiting.remove(oldest);
      oldest.reject(this.#timeoutError(oldest.op, oldest.key));
      oldest = this.#waiting.oldest;
    }
    if (oldest !== undefined) this.#arm(oldest.deadline);
  }
}
