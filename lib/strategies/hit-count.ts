import type { Cache } from '../cache.js';
import type { Clock } from '../clock.js';
import type { OperationOptions } from '../options.js';
import { NEVER, hitCounterKey, type StaleEntry } from '../stored-entry.js';
import { internally } from '../telemetry/internal.js';

/** What a counted read of a fresh entry becomes: one of its `hits` reads, or the one that computes. */
export interface HitCountOutcome<R> {
  /** The read is one of the `hits` reads after the computation: the stored value is served. */
  served(): R;
  /** The entry's hits are spent: this read computes (shared with other callers). */
  spent(): Promise<R>;
  /** Counting failed (the cache failed): the caller decides between failing open and throwing. */
  failed(error: unknown): R | Promise<R>;
  /** Starting the counter's ttl failed: logged, nothing else to do. */
  lost(error: unknown): void;
}

/**
 * cashews' hit cache: after a computation, the next `hits` reads of its result are hits and the
 * one after computes again. The count is one atomic increment of a counter beside the entry,
 * shared by every process; the counter ends with its entry (it takes the entry's fresh life left,
 * or the entry's stored ttl when it has none of its own), and the one read anywhere that gets
 * `hits + 1` removes it. The counter's commands are larder's own (traced as `internal`).
 */
export function countHit<R>(
  cache: Cache<unknown>,
  key: string,
  entry: StaleEntry<R>,
  hits: number,
  clock: Clock,
  options: OperationOptions | undefined,
  outcome: HitCountOutcome<R>,
): Promise<R> {
  const counter = hitCounterKey(key, entry.hits!);
  return internally(() => cache.increment(counter, 1, options)).then((count) => {
    if (count === 1) {
      const left =
        entry.freshUntil !== NEVER
          ? Promise.resolve(Math.max(1, entry.freshUntil - clock.now()))
          : internally(() => cache.ttl(key, options));
      left
        .then((ms) =>
          ms === undefined || ms === Infinity
            ? undefined
            : internally(() => cache.expire(counter, ms, options)),
        )
        .catch(outcome.lost);
    }
    if (count <= hits) return outcome.served();
    if (count === hits + 1) internally(() => cache.delete(counter, options)).catch(() => undefined);
    return outcome.spent();
  }, outcome.failed);
}
