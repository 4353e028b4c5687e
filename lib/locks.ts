import { randomUUID } from 'node:crypto';
import type { BackendPort } from './backend-port.js';
import type { Backend } from './backends/backend.js';
import { requireCapability, type BackendCapabilities } from './backends/capabilities.js';
import type { Clock } from './clock.js';
import type { Codec } from './codec.js';
import { describeValue } from './describe.js';
import { parseDuration, type Duration } from './duration.js';
import { LockTimeoutError, OptimisticLockError, OutcomeUnknownError } from './errors.js';
import type { KeySpace } from './key-space.js';
import { normalizeKey, type Key } from './keys.js';
import type { Logger } from './logger.js';
import type { WriteNotice } from './tiers/two-tier.js';
import { NO_FALLBACK, type OperationRunner } from './operation.js';
import type { OperationOptions } from './options.js';
import { startedInternally } from './telemetry/internal.js';

/** Options of {@link Cache.lock} and {@link Cache.withLock}. */
export interface LockOptions extends Pick<OperationOptions, 'namespace' | 'version'> {
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

/** What locks need of their cache: narrow, so the lock algorithms know nothing else of it. */
export interface LockPort<V> {
  /** The backend, as the cache calls it. */
  readonly port: BackendPort;
  readonly backend: Backend;
  readonly capabilities: BackendCapabilities;
  readonly keys: KeySpace;
  readonly codec: Codec<V>;
  readonly runner: OperationRunner;
  readonly logger: Logger;
  /** The ttl of a write with these options, in ms. */
  ttlOf(options: { readonly ttl?: Duration | null } | undefined): number;
  /** The clock waits are measured by. */
  readonly clock: Clock;
  /** The value of a stored payload; `undefined` for a tagged entry whose tags were invalidated. */
  decodeStored(payload: unknown, key: unknown): V | undefined | PromiseLike<V | undefined>;
  /** The L1, told of every acknowledged write (see lib/tiers/two-tier.ts). */
  readonly tier?: WriteNotice | undefined;
}

/**
 * Takes a lock on `key`: `add` of a random token at the lock key (`SET NX PX` on Redis), retried
 * with jittered back-off until `wait` runs out; release and extend act only while the token is
 * still in place.
 *
 * @throws LockTimeoutError if `wait` runs out first; RangeError for a bad lease or wait;
 *   UnsupportedOperationError if the backend has no compare-and-delete/expire.
 */
export async function acquireLock<V>(cache: LockPort<V>, key: Key, options: LockOptions): Promise<Lock> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`lock needs options with a lease; got ${describeValue(options)}`);
  }
  const leaseMs = parseLease(options.lease);
  const waitMs = options.wait === undefined ? 0 : parseDuration(options.wait, 'wait');
  const text = normalizeKey(key);
  const lockKey = cache.keys.lockKey(text, options);
  requireCapability(cache.capabilities.locks, cache.backend, 'compareAndDelete', 'lock');
  const { port, runner } = cache;
  // A lock larder takes for itself (a read-through's, a refresh's) stays larder's own in every
  // later step: its retries, release and extend run outside the window that marked its start.
  const internal = startedInternally();
  const run = <T>(work: () => T | PromiseLike<T>): Promise<T> =>
    runner.run({ op: 'lock', key: text, fallback: NO_FALLBACK, work, internal });
  const token = randomUUID();
  const deadline = cache.clock.now() + waitMs;
  // A lock command whose reply was lost (OutcomeUnknownError) is settled by reading the lock key:
  // the token is unique, so finding it in place proves who holds the lock.
  const holds = async (): Promise<boolean> => isToken(await run(() => port.get(lockKey)), token);
  const unlessUnknown = async (error: unknown, proven: () => Promise<boolean>): Promise<boolean> => {
    if (!(error instanceof OutcomeUnknownError)) throw error;
    return proven();
  };
  const release = (): Promise<boolean> =>
    run(() => port.call('compareAndDelete', lockKey, token)).catch((error: unknown) =>
      // Still in place: the delete did not run, and may run now. Gone: it ran, or the lease ran
      // out first, which cannot be told apart, so the unknown outcome stands.
      unlessUnknown(error, async () => {
        if (await holds()) return release();
        throw error;
      }),
    );
  const extend = (ms: number): Promise<boolean> =>
    run(() => port.call('compareAndExpire', lockKey, token, ms)).catch((error: unknown) =>
      // Still in place: extending again from now is what was asked. Gone: not held any more.
      unlessUnknown(error, async () => ((await holds()) ? extend(ms) : false)),
    );
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    const acquired = await run(() => port.call('add', lockKey, token, leaseMs)).catch((error: unknown) =>
      unlessUnknown(error, holds),
    );
    if (acquired) return new Lock(text, token, { release, extend }, parseLease);
    const left = deadline - cache.clock.now();
    if (left <= 0) throw new LockTimeoutError(text, waitMs);
    // Jittered, so waiters started together do not retry in lockstep.
    await sleep(Math.min(left, pause * (0.5 + Math.random())));
  }
}

/**
 * Runs `fn` while holding the lock on `key`, and releases it afterwards whatever happens.
 *
 * @returns what `fn` resolves to.
 */
export async function withLock<V, R>(
  cache: LockPort<V>,
  key: Key,
  fn: (lock: Lock) => R | Promise<R>,
  options: LockOptions,
): Promise<R> {
  if (typeof fn !== 'function') throw new TypeError(`withLock needs a function; got ${describeValue(fn)}`);
  const lock = await acquireLock(cache, key, options);
  try {
    return await fn(lock);
  } finally {
    await lock
      .release()
      .catch((err: unknown) =>
        cache.logger.warn({ key: lock.key, err }, 'releasing a lock failed; it expires with its lease'),
      );
  }
}

/**
 * Reads `key` for a read-modify-write whose `set` stores only if nobody changed the key in
 * between (an atomic compare-and-set of the stored payload).
 *
 * @throws UnsupportedOperationError if the backend has no compareAndSet.
 */
export async function optimisticLock<V>(
  cache: LockPort<V>,
  key: Key,
  options: OperationOptions | undefined,
): Promise<OptimisticLock<V>> {
  const { port, runner, codec } = cache;
  requireCapability(cache.capabilities.compareAndSet, cache.backend, 'compareAndSet', 'optimisticLock');
  const finalKey = cache.keys.finalKey(key, options);
  const run = <T>(work: () => T | PromiseLike<T>): Promise<T> =>
    runner.run({ op: 'optimisticLock', key, options, fallback: NO_FALLBACK, work });
  // A tagged entry whose tags were invalidated reads as missing (and set then compares against
  // what is stored, so it still replaces it atomically). One run: plugins see one operation.
  const [stored, value] = await run(async () => {
    const payload = await port.get(finalKey);
    return [payload, payload === undefined ? undefined : await cache.decodeStored(payload, key)] as const;
  });
  let expected = stored;
  const set = async (next: V, writeOptions?: { readonly ttl?: Duration | null }): Promise<true> => {
    const payload = codec.encode(next, key);
    const ttlMs = cache.ttlOf(writeOptions);
    const stored = await run(() => port.call('compareAndSet', finalKey, expected, payload, ttlMs));
    if (!stored) throw new OptimisticLockError(String(key));
    cache.tier?.written('set', [finalKey], options);
    // A later set on the same handle compares against what this one wrote.
    expected = payload;
    return true;
  };
  return { value, set };
}

// Whether a stored payload is the token (a string on the memory backend, bytes on Redis).
function isToken(stored: unknown, token: string): boolean {
  if (typeof stored === 'string') return stored === token;
  return (
    stored instanceof Uint8Array &&
    Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString() === token
  );
}

function parseLease(lease: unknown): number {
  const ms = parseDuration(lease, 'lease');
  if (ms === 0 || ms === Infinity)
    throw new RangeError(`lease must be a finite duration above 0; got ${describeValue(lease)}`);
  return ms;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
