import type { Duration } from './duration.js';

/** Options of {@link Cache.lock} and {@link Cache.withLock}. */
export interface LockOptions {
  /** How long the lock holds before it expires on its own, should its holder never release it. */
  readonly lease: Duration;
  /**
   * How long to keep trying to acquire it before giving up with `LockTimeoutError`.
   * @default 0 (one attempt)
   */
  readonly wait?: Duration;
}

/** The operations a {@link Lock} needs from its cache. */
export interface LockControl {
  release(): Promise<boolean>;
  extend(leaseMs: number): Promise<boolean>;
}

/**
 * A held lock (see `Cache.lock`). It expires on its own after its lease, so a crashed holder never
 * blocks others for longer than that. Release it as soon as the work is done.
 */
export class Lock {
  /** The key the lock was taken on, as the caller gave it. */
  readonly key: string;
  /** The random token that proves this holder owns the lock. */
  readonly token: string;
  readonly #control: LockControl;
  readonly #parseLease: (lease: Duration) => number;
  #released = false;

  /** @internal Built by `Cache.lock`. */
  constructor(key: string, token: string, control: LockControl, parseLease: (lease: Duration) => number) {
    this.key = key;
    this.token = token;
    this.#control = control;
    this.#parseLease = parseLease;
  }

  /**
   * Releases the lock, if this holder still owns it.
   *
   * @returns `false` if it had expired (and perhaps been taken by someone else) or was released already.
   */
  async release(): Promise<boolean> {
    if (this.#released) return false;
    this.#released = true;
    return this.#control.release();
  }

  /**
   * Gives the lock a new lease from now, if this holder still owns it.
   *
   * @returns `false` if the lock had expired or was released.
   * @throws RangeError for a bad lease.
   */
  async extend(lease: Duration): Promise<boolean> {
    const leaseMs = this.#parseLease(lease);
    if (this.#released) return false;
    return this.#control.extend(leaseMs);
  }
}

/** What `Cache.optimisticLock` returns: the value read, and a write that succeeds only if nobody else wrote since. */
export interface OptimisticLock<V> {
  /** The value when it was read (`undefined` if the key was missing). */
  readonly value: V | undefined;
  /**
   * Writes `value` if the key still holds what was read (or is still missing).
   *
   * @throws OptimisticLockError if the key changed in between.
   */
  set(value: V, options?: { readonly ttl?: Duration | null }): Promise<true>;
}
