import type { Clock } from './clock.js';
import type { JitterSpread, RandomSource } from './strategies/jitter.js';

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
  /** After a computation, this many reads are hits; the next one computes again (cashews' hit cache). */
  readonly hits?: number | undefined;
  /** A hit past this fraction of its ttl starts one background refresh. */
  readonly refreshAhead?: number | undefined;
  /** Spreads each stored result's ttl. */
  readonly jitter?: JitterSpread | undefined;
  /** Where jitter draws its numbers. */
  readonly random?: RandomSource | undefined;
}
