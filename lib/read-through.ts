import type { KeyHandle } from './backends/backend.js';
import type { Cache } from './cache.js';
import { LockTimeoutError, isCacheFailure } from './errors.js';
import type { WriteOptions } from './options.js';
import { LATER, readNow } from './read-now.js';
import { found, readEntry, readOptions } from './read-through-read.js';
import { detecting, outsideDetection, reviseHit } from './strategies/detect-cache.js';
import { asStaleEntry, storedEntry, type StaleEntry } from './stored-entry.js';
import { countHit } from './strategies/hit-count.js';
import type { ReadThroughPolicy } from './read-through-policy.js';

export type { ReadThroughPolicy } from './read-through-policy.js';
import { noteHitNow } from './strategies/detect-cache.js';
import { refreshAheadUnderLock } from './strategies/refresh-ahead.js';
import { jitteredTtl } from './strategies/jitter.js';
import { storeResult, tagsBefore } from './tags/read-through-tags.js';
import type { OperationContext } from './telemetry/channels.js';
import { internally } from './telemetry/internal.js';
import { FROM_L1, servedStale, type Fallback } from './stale-if-error.js';

// What #freshOf answers for an entry past its ttl.
const STALE: unique symbol = Symbol('stale');

/**
 * The one read-through engine behind `getOrSet`, `cached()` and `multiCached()`: a hit is served,
 * a miss computed once per key in this process however many callers ask meanwhile (and once
 * across processes under a lock, when asked), stale results served while one refresh runs, and a
 * failing cache passed by (fail open) where the policy says so.
 */
export class ReadThrough<R> {
  readonly #policy: ReadThroughPolicy<R>;
  // Whether results are stored in a StaleEntry.
  readonly #stale: boolean;
  // One computation per sharing key (the final key, and whatever else must match) in flight.
  readonly #inflight = new Map<string, Promise<R>>();
  readonly #refreshing = new Set<string>();

  constructor(policy: ReadThroughPolicy<R>) {
    this.#policy = policy;
    this.#stale =
      policy.staleTtlMs > 0 ||
      policy.staleIfErrorMs > 0 ||
      policy.hits !== undefined ||
      policy.refreshAhead !== undefined;
  }

  /**
   * A fresh hit read on the spot (a cache over a backend that can `peek`, with nothing observing
   * gets), or `undefined`: then {@link call}.
   */
  hitNow(cache: Cache<unknown>, target: KeyHandle | string): Promise<R> | undefined {
    const now = cache[readNow](target);
    if (now === undefined || now === LATER) return undefined;
    if (!this.#stale) {
      if (detecting !== 0) noteHitNow(cache, target);
      return Promise.resolve(now as R);
    }
    // A hit that must be counted, or that starts a refresh, takes the full path.
    if (this.#policy.hits !== undefined) return undefined;
    const entry = asStaleEntry<R>(now);
    if (entry?.refreshAt !== undefined && this.#policy.clock.now() >= entry.refreshAt) return undefined;
    const fresh = this.#freshOf(now);
    if (fresh === STALE) return undefined;
    if (detecting !== 0) noteHitNow(cache, target);
    return Promise.resolve(fresh);
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
   * @param ctx - the call's telemetry context, told what the call found (traced calls only).
   */
  call(
    cache: Cache<unknown>,
    key: string,
    share: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
    missed = false,
    ctx?: OperationContext,
  ): Promise<R> {
    // A computation already running answers every caller, before any of them reads.
    const running = this.#inflight.get(share);
    if (running !== undefined) {
      if (ctx !== undefined) found(ctx, false, false, true);
      return running;
    }
    if (missed)
      return this.#shared(share, () => this.#compute(cache, key, compute, options, FROM_L1, ctx), ctx);
    // A traced call's read is larder's own (traced as `internal`): the call is the application's.
    const read =
      ctx === undefined
        ? readEntry(cache, key, options, ctx)
        : internally(() => readEntry(cache, key, options, ctx));
    return read.then(
      (stored) => this.#answer(stored, cache, key, share, compute, options, ctx),
      (error: unknown) => {
        if (!this.#passesBy(error)) throw error;
        cache.logger.warn(
          { key, fn: this.#policy.name, err: error },
          'cache read failed; calling the function (fail open)',
        );
        const uncached = async (): Promise<R> => {
          try {
            return await compute();
          } catch (failure) {
            return servedStale(failure, cache, key, readOptions(options), FROM_L1, this.#policy, ctx);
          }
        };
        return this.#shared(share, uncached, ctx);
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
    ctx: OperationContext | undefined,
  ): R | Promise<R> {
    if (stored === undefined)
      return this.#shared(share, () => this.#compute(cache, key, compute, options, FROM_L1, ctx), ctx);
    const entry = this.#stale ? asStaleEntry<R>(stored) : undefined;
    if (entry === undefined) {
      if (ctx !== undefined) found(ctx, true, false, false);
      return stored as R;
    }
    // The read was recorded as a hit; what this entry becomes revises it.
    if (detecting !== 0) return this.#revised(entry, cache, key, share, compute, options, ctx);
    return this.#answerEntry(entry, cache, key, share, compute, options, ctx);
  }

  // #answerEntry, with the detectCache hit the read recorded revised: stale, or no hit at all.
  #revised(
    entry: StaleEntry<R>,
    cache: Cache<unknown>,
    key: string,
    share: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
    ctx: OperationContext | undefined,
  ): R | Promise<R> {
    const now = this.#policy.clock.now();
    const storedKey = cache.storedKey(key, readOptions(options));
    if (now >= entry.freshUntil + this.#policy.staleTtlMs) reviseHit(storedKey, 'miss');
    else if (now >= entry.freshUntil) reviseHit(storedKey, 'stale');
    return this.#answerEntry(entry, cache, key, share, compute, options, ctx);
  }

  // What a stored entry becomes: its value, a stale value while a refresh runs, or a computation.
  #answerEntry(
    entry: StaleEntry<R>,
    cache: Cache<unknown>,
    key: string,
    share: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
    ctx: OperationContext | undefined,
  ): R | Promise<R> {
    const now = this.#policy.clock.now();
    if (now < entry.freshUntil) {
      if (this.#policy.hits !== undefined && typeof entry.hits === 'string')
        return this.#countHit(entry, cache, key, share, compute, options, ctx);
      if (ctx !== undefined) found(ctx, true, false, false);
      if (entry.refreshAt !== undefined && now >= entry.refreshAt)
        this.#refreshInBackground(cache, key, share, compute, options, true);
      return entry.value;
    }
    if (now < entry.freshUntil + this.#policy.staleTtlMs) {
      if (ctx !== undefined) found(ctx, true, true, false);
      this.#refreshInBackground(cache, key, share, compute, options);
      return entry.value;
    }
    const fallback = now < entry.freshUntil + this.#policy.staleIfErrorMs ? entry : FROM_L1;
    return this.#shared(share, () => this.#compute(cache, key, compute, options, fallback, ctx), ctx);
  }

  // A fresh entry with a hit count: one of its `hits` reads, or the one after, which computes.
  #countHit(
    entry: StaleEntry<R>,
    cache: Cache<unknown>,
    key: string,
    share: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
    ctx: OperationContext | undefined,
  ): Promise<R> {
    const counterOptions = readOptions(options);
    const computed = (spent?: string): Promise<R> =>
      this.#shared(share, () => this.#compute(cache, key, compute, options, FROM_L1, ctx, spent), ctx);
    return countHit(cache, key, entry, this.#policy.hits!, this.#policy.clock, counterOptions, {
      served: () => {
        if (ctx !== undefined) found(ctx, true, false, false);
        if (entry.refreshAt !== undefined && this.#policy.clock.now() >= entry.refreshAt)
          this.#refreshInBackground(cache, key, share, compute, options, true);
        return entry.value;
      },
      spent: () => {
        if (detecting !== 0) reviseHit(cache.storedKey(key, counterOptions), 'miss');
        return computed(entry.hits);
      },
      failed: (error) => {
        if (!this.#passesBy(error)) throw error;
        cache.logger.warn(
          { key, fn: this.#policy.name, err: error },
          'counting a hit failed; calling the function (fail open)',
        );
        return computed();
      },
      lost: (err) =>
        cache.logger.warn({ key, fn: this.#policy.name, err }, "starting the hit counter's ttl failed"),
    });
  }

  #shared(share: string, start: () => Promise<R>, ctx?: OperationContext): Promise<R> {
    let shared = this.#inflight.get(share);
    if (ctx !== undefined) found(ctx, false, false, shared !== undefined);
    if (shared === undefined) {
      shared = start().finally(() => this.#inflight.delete(share));
      this.#inflight.set(share, shared);
    }
    return shared;
  }

  // Computes a missing or expired result (under the lock if asked), serving `fallback` if it throws.
  // `spent`: the hit counter of the entry whose hits ran out, which the lock must not serve again.
  async #compute(
    cache: Cache<unknown>,
    key: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
    fallback: Fallback<R>,
    ctx?: OperationContext,
    spent?: string,
  ): Promise<R> {
    try {
      if (this.#policy.leaseMs === undefined)
        return await this.#computeAndStore(cache, key, compute, options);
      return await this.#computeUnderLock(cache, key, compute, options, spent);
    } catch (error) {
      return servedStale(error, cache, key, readOptions(options), fallback, this.#policy, ctx);
    }
  }

  async #computeUnderLock(
    cache: Cache<unknown>,
    key: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
    spent: string | undefined,
  ): Promise<R> {
    const lease = this.#policy.leaseMs!;
    // The lock is on the entry's own final key (the same key space), so every process that would
    // store this entry excludes the others, whatever its cache's own namespace. The lock and the
    // read under it are larder's own (traced as `internal`); the computation runs after the lock
    // is taken, outside that mark.
    const lockOptions = { lease, wait: lease, namespace: options?.namespace, version: options?.version };
    let computing = false;
    try {
      return await internally(() =>
        cache.withLock(
          key,
          async () => {
            // Whoever held the lock before us has probably stored the result by now.
            const stored = await internally(() => cache.get(key, readOptions(options)));
            // Not the entry whose hits ran out, though: it is still fresh, but spent.
            if (stored !== undefined && (spent === undefined || asStaleEntry<R>(stored)?.hits !== spent)) {
              const fresh = this.#freshOf(stored);
              if (fresh !== STALE) return fresh;
            }
            computing = true;
            return this.#computeAndStore(cache, key, compute, options);
          },
          lockOptions,
        ),
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
    // Tags are taken before the computation starts (see docs/tags.md).
    let before = tagsBefore(cache, key, options, (error) => this.#passesBy(error));
    if (before instanceof Promise) before = await before;
    if ('failed' in before) {
      cache.logger.warn(
        { key, fn: this.#policy.name, err: before.failed },
        'cache failed reading tags; returning the result uncached',
      );
      return compute();
    }
    const result = await compute();
    // undefined cannot be cached (it is what a miss looks like); such results are just returned.
    if (result === undefined || this.#policy.skipCache?.(result) === true) return result;
    const { staleTtlMs, staleIfErrorMs, jitter, refreshAhead } = this.#policy;
    let { ttlMs } = this.#policy;
    // Jittered once here, so the entry's freshness and its stored ttl agree (the write then adds
    // no jitter of the cache's).
    if (jitter !== undefined && ttlMs !== undefined) ttlMs = jitteredTtl(ttlMs, jitter, this.#policy.random!);
    const value = this.#stale
      ? storedEntry(result, this.#policy.clock.now(), ttlMs, refreshAhead, this.#policy.hits !== undefined)
      : result;
    const ttl = this.#stale && ttlMs !== undefined ? ttlMs + Math.max(staleTtlMs, staleIfErrorMs) : ttlMs;
    const writeOptions =
      ttl === undefined
        ? options
        : jitter === undefined
          ? { ...options, ttl }
          : { ...options, ttl, jitter: 0 };
    try {
      // The write is larder's own (traced as `internal`), as the read was.
      await internally(() => storeResult(cache, key, value, writeOptions, before.taken, result));
    } catch (error) {
      if (!this.#passesBy(error)) throw error;
      cache.logger.warn(
        { key, fn: this.#policy.name, err: error },
        'cache write failed; returning the result uncached',
      );
    }
    return result;
  }

  // One refresh per key at a time in this process; with a lease, one across processes. A refresh
  // ahead (`ahead`) of a result still fresh skips where another process holds the lock: that one
  // refreshes.
  #refreshInBackground(
    cache: Cache<unknown>,
    key: string,
    share: string,
    compute: () => R | Promise<R>,
    options: WriteOptions | undefined,
    ahead = false,
  ): void {
    if (this.#refreshing.has(share)) return;
    this.#refreshing.add(share);
    // Its reads are not the caller's: a detectCache running around the caller does not see them.
    const refresh = outsideDetection(() =>
      ahead && this.#policy.leaseMs !== undefined
        ? refreshAheadUnderLock(
            cache,
            key,
            this.#policy.leaseMs,
            readOptions(options),
            this.#policy.clock,
            () => this.#computeAndStore(cache, key, compute, options),
          )
        : this.#compute(cache, key, compute, options, undefined),
    );
    refresh
      .catch((err: unknown) =>
        cache.logger.error(
          { key, fn: this.#policy.name, err },
          'background refresh failed; the stored result stays',
        ),
      )
      .finally(() => this.#refreshing.delete(share));
  }

  #passesBy(error: unknown): boolean {
    return this.#policy.failOpen && isCacheFailure(error);
  }
}
