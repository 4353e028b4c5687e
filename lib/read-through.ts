import type { KeyHandle } from './backends/backend.js';
import type { Cache } from './cache.js';
import type { Clock } from './clock.js';
import { LockTimeoutError, isCacheFailure } from './errors.js';
import type { OperationOptions, WriteOptions } from './options.js';
import { LATER, readNow } from './read-now.js';
import { tagWriter, tagsOfResult, type TaggingOptions } from './tags/tag-door.js';
import type { TagsTaken } from './tags/tagged-operations.js';

/** How one read-through (a getOrSet, a memoised function) reads, computes and stores. */
export interface ReadThroughPolicy<R> {
  /** Names the function in logs. */
  readonly name: string;
  /** Stored results' ttl in ms; `undefined` takes the cache's. Required with a stale mode. */
  readonly ttlMs: number | undefined;
  /** After the ttl, serve the stale result this long while one background call refreshes it. */
  readonly staleTtlMs: number;
  /** After the ttl, serve the stale result this long if the computation throws. */
  readonly staleIfErrorMs: number;
  /** With a lease, one caller across processes computes under a lock on the key. */
  readonly leaseMs: number | undefined;
  /** `true` for a result that is returned but not stored. */
  readonly skipCache?: ((result: R) => boolean) | undefined;
  /**
   * Whether a failing cache (down, slow, closed, unreadable) is logged and passed by, the
   * computation's result returned uncached (cached()); else the failure is the caller's
   * (getOrSet, where the cache's own safe mode decides).
   */
  readonly failOpen: boolean;
  /** Where freshness is read. */
  readonly clock: Clock;
}

const STALE_MARK = '__larder_stale__';
// What #freshOf answers for an entry past its ttl.
const STALE: unique symbol = Symbol('stale');

/** What is stored when a stale mode is on: the result and when it stops being fresh. */
interface StaleEntry<R> {
  readonly [STALE_MARK]: 1;
  readonly value: R;
  readonly freshUntil: number;
}

/**
 * The one read-through engine behind `getOrSet`, `cached()` and `multiCached()`: a hit is served,
 * a miss computed once per key in this process however many callers ask meanwhile (and once
 * across processes under a lock, when asked), stale results served while one refresh runs, and a
 * failing cache passed by (fail open) where the policy says so.
 */
export class ReadThrough<R> {
  readonly #policy: ReadThroughPolicy<R>;
  readonly #stale: boolean;
  // One computation per sharing key (the final key, and whatever else must match) in flight.
  readonly #inflight = new Map<string, Promise<R>>();
  readonly #refreshing = new Set<string>();

  constructor(policy: ReadThroughPolicy<R>) {
    this.#policy = policy;
    this.#stale = policy.staleTtlMs > 0 || policy.staleIfErrorMs > 0;
  }

  /**
   * A fresh hit read on the spot (a cache over a backend that can `peek`, with nothing observing
   * gets), or `undefined`: then {@link call}.
   */
  hitNow(cache: Cache<unknown>, target: KeyHandle | string): Promise<R> | undefined {
    const now = cache[readNow](target);
    if (now === undefined || now === LATER) return undefined;
    if (!this.#stale) return Promise.resolve(now as R);
    const fresh = this.#freshOf(now);
    return fresh === STALE ? undefined : Promise.resolve(fresh);
  }

  // The fresh result a stored value holds, or STALE when it is a stale mode's entry past its ttl.
  #freshOf(stored: unknown): R | typeof STALE {
    const entry = this.#stale ? asStaleEntry<R>(stored) : undefined;
    if (entry === undefined) return stored as R;
    return this.#policy.clock.now() < entry.freshUntil ? entry.value : STALE;
  }

  /**
   * The stored result of `key`, or `compute`'s. Each caller reads for itself (a hit costs the
   * read and nothing more); what must be computed is shared with every caller of the same `share`
   * key meanwhile.
   *
   * @param share - what callers must agree on to share one computation: the final key, and for
   *   getOrSet the ttl too.
   * @param options - the key space and ttl options of the reads and writes.
   * @param missed - the caller has just read the key and found nothing: compute without reading.
   */
  call(
    cache: Cache<unknown>,
    key: string,
    share: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
    missed = false,
  ): Promise<R> {
    // A computation already running answers every caller, before any of them reads.
    const running = this.#inflight.get(share);
    if (running !== undefined) return running;
    if (missed) return this.#shared(share, () => this.#compute(cache, key, compute, options, undefined));
    // Fixed tags are known before the read: on a remote backend they are read beside the entry.
    const tags = (options as TaggingOptions | undefined)?.tags;
    const read =
      tags !== undefined && tags.length > 0 && cache[tagWriter]().prefetches
        ? cache[tagWriter]().read(key, readOptions(options), tags)
        : cache.get(key, readOptions(options));
    return read.then(
      (stored) => this.#answer(stored, cache, key, share, compute, options),
      (error: unknown) => {
        if (!this.#passesBy(error)) throw error;
        cache.logger.warn(
          { key, fn: this.#policy.name, err: error },
          'cache read failed; calling the function (fail open)',
        );
        return this.#shared(share, async () => compute());
      },
    );
  }

  // What a read found becomes: the result, or a (shared) computation of it.
  #answer(
    stored: unknown,
    cache: Cache<unknown>,
    key: string,
    share: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
  ): R | Promise<R> {
    if (stored === undefined)
      return this.#shared(share, () => this.#compute(cache, key, compute, options, undefined));
    const entry = this.#stale ? asStaleEntry<R>(stored) : undefined;
    if (entry === undefined) return stored as R;

    const now = this.#policy.clock.now();
    if (now < entry.freshUntil) return entry.value;
    if (now < entry.freshUntil + this.#policy.staleTtlMs) {
      this.#refreshInBackground(cache, key, share, compute, options);
      return entry.value;
    }
    const fallback = now < entry.freshUntil + this.#policy.staleIfErrorMs ? entry : undefined;
    return this.#shared(share, () => this.#compute(cache, key, compute, options, fallback));
  }

  // The computation running for `share`, or `start`'s, which callers of `share` then join.
  #shared(share: string, start: () => Promise<R>): Promise<R> {
    let shared = this.#inflight.get(share);
    if (shared === undefined) {
      shared = start().finally(() => this.#inflight.delete(share));
      this.#inflight.set(share, shared);
    }
    return shared;
  }

  // Computes a missing or expired result (under the lock if asked), serving `fallback` if it throws.
  async #compute(
    cache: Cache<unknown>,
    key: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
    fallback: StaleEntry<R> | undefined,
  ): Promise<R> {
    try {
      if (this.#policy.leaseMs === undefined)
        return await this.#computeAndStore(cache, key, compute, options);
      return await this.#computeUnderLock(cache, key, compute, options);
    } catch (error) {
      if (fallback === undefined) throw error;
      cache.logger.error(
        { key, fn: this.#policy.name, err: error },
        'the function failed; serving the stale result (staleIfError)',
      );
      return fallback.value;
    }
  }

  async #computeUnderLock(
    cache: Cache<unknown>,
    key: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
  ): Promise<R> {
    const lease = this.#policy.leaseMs!;
    // The lock is on the entry's own final key (the same key space), so every process that would
    // store this entry excludes the others, whatever its cache's own namespace.
    const lockOptions = { lease, wait: lease, namespace: options?.namespace, version: options?.version };
    let computing = false;
    try {
      return await cache.withLock(
        key,
        async () => {
          // Whoever held the lock before us has probably stored the result by now.
          const stored = await cache.get(key, readOptions(options));
          if (stored !== undefined) {
            const fresh = this.#freshOf(stored);
            if (fresh !== STALE) return fresh;
          }
          computing = true;
          return this.#computeAndStore(cache, key, compute, options);
        },
        lockOptions,
      );
    } catch (error) {
      // Only a lock that could not be taken falls back to computing without it; what the
      // computation itself threw is the caller's (it must not run twice).
      if (computing || (!(error instanceof LockTimeoutError) && !isCacheFailure(error))) throw error;
      cache.logger.warn(
        { key, fn: this.#policy.name, err: error },
        'cache lock unavailable; computing without it (fail open)',
      );
      return this.#computeAndStore(cache, key, compute, options);
    }
  }

  async #computeAndStore(
    cache: Cache<unknown>,
    key: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
  ): Promise<R> {
    // Tags are read before the computation starts, so that an invalidation made while it runs
    // leaves its result unserved (see docs/tags.md).
    const fixedTags = (options as TaggingOptions | undefined)?.tags;
    const tagsOf = (options as TaggingOptions | undefined)?.[tagsOfResult];
    let taken: TagsTaken | undefined;
    if (tagsOf !== undefined || (fixedTags !== undefined && fixedTags.length > 0)) {
      try {
        taken = await cache[tagWriter]().begin(tagsOf === undefined ? fixedTags : undefined, key);
      } catch (error) {
        if (!(this.#passesBy(error) || (cache.safe && isCacheFailure(error)))) throw error;
        cache.logger.warn(
          { key, fn: this.#policy.name, err: error },
          'cache failed reading tags; returning the result uncached',
        );
        return compute();
      }
    }
    const result = await compute();
    // undefined cannot be cached (it is what a miss looks like); such results are just returned.
    if (result === undefined || this.#policy.skipCache?.(result) === true) return result;
    const { ttlMs, staleTtlMs, staleIfErrorMs } = this.#policy;
    const value = this.#stale
      ? { [STALE_MARK]: 1, value: result, freshUntil: this.#policy.clock.now() + ttlMs! }
      : result;
    const ttl = this.#stale ? ttlMs! + Math.max(staleTtlMs, staleIfErrorMs) : ttlMs;
    try {
      const writeOptions = ttl === undefined ? options : { ...options, ttl };
      if (taken === undefined) await cache.set(key, value, writeOptions);
      else {
        const tags = tagsOf?.(result);
        await cache[tagWriter]().store(key, value, writeOptions, taken, tags);
      }
    } catch (error) {
      if (!this.#passesBy(error)) throw error;
      cache.logger.warn(
        { key, fn: this.#policy.name, err: error },
        'cache write failed; returning the result uncached',
      );
    }
    return result;
  }

  // One refresh per key at a time in this process; with a lease, one across processes.
  #refreshInBackground(
    cache: Cache<unknown>,
    key: string,
    share: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
  ): void {
    if (this.#refreshing.has(share)) return;
    this.#refreshing.add(share);
    this.#compute(cache, key, compute, options, undefined)
      .catch((err: unknown) =>
        cache.logger.error(
          { key, fn: this.#policy.name, err },
          'background refresh failed; the stale result stays',
        ),
      )
      .finally(() => this.#refreshing.delete(share));
  }

  #passesBy(error: unknown): boolean {
    return this.#policy.failOpen && isCacheFailure(error);
  }
}

// The read of a read-through takes the key space of its writes, not their ttl; undefined when
// there is nothing to pass, so the read keeps the cache's no-options fast path.
function readOptions(options: WriteOptions | undefined): OperationOptions | undefined {
  if (options === undefined || options.ttl === undefined) return options;
  const { ttl: _ttl, ...rest } = options;
  return rest;
}

function asStaleEntry<R>(stored: unknown): StaleEntry<R> | undefined {
  const entry = stored as Partial<StaleEntry<R>> | null;
  return typeof entry === 'object' &&
    entry !== null &&
    entry[STALE_MARK] === 1 &&
    typeof entry.freshUntil === 'number'
    ? (entry as StaleEntry<R>)
    : undefined;
}
