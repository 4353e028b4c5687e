import { systemClock, type Clock } from '../clock.js';
import type { Duration } from '../duration.js';
import { checks, type OptionsSchema } from '../options-schema.js';
import { MAX_TIMER_MS } from '../promise.js';

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /**
   * Most entries kept; the least recently used are evicted beyond it. `Infinity` for no bound.
   * @default 10_000
   */
  readonly maxSize?: number;
  /**
   * Most bytes of values kept (least recently used evicted beyond it); `0` for no bound. Sizes come
   * from `sizeOf`, or else from the encoded payload, so without `sizeOf` it needs a serializer other
   * than the `NullSerializer` default. A single value larger than `maxBytes` is refused.
   * @default 0
   */
  readonly maxBytes?: number;
  /** Size of a value in bytes, for `maxBytes` when values are stored as references. */
  readonly sizeOf?: (value: unknown, key: string) => number;
  /**
   * The least time between two background sweeps. Expired entries are never returned, and are
   * reclaimed without a read by a sweep whose timer is aimed at the earliest expiry: a store whose
   * next expiry is ten minutes away sets one timer for ten minutes, not one a second. This bounds how
   * often that timer may fire (the first time: this long after the backend was made), so entries
   * expiring close together are reclaimed in one batch; an entry may therefore stay held, unseen,
   * up to this long past its expiry. Between 1 ms and 24.8 days; ttls may be longer.
   * @default '1s'
   */
  readonly sweepInterval?: Duration;
  /**
   * The clock every expiry decision is made by (writes, reads, `ttl`, `expire`, sweeps). Tests pass
   * one they move by hand (`ManualClock` from `larder/testing`); it is called as given.
   * @default systemClock (`Date.now()`, one reading reused for about 1 ms: see {@link systemClock})
   */
  readonly clock?: Clock;
}

/** The frozen defaults of {@link MemoryBackendOptions}. */
export const MEMORY_BACKEND_DEFAULTS = Object.freeze({
  maxSize: 10_000,
  maxBytes: 0,
  sweepInterval: 1_000,
  clock: systemClock,
});

/**
 * The options schema of the memory backend: its constructor and config validation both check
 * against it. Kept apart from the class so that its descriptor can import both without a cycle.
 */
export const MEMORY_BACKEND_OPTIONS: OptionsSchema = Object.freeze({
  fields: Object.freeze({
    maxSize: checks.either(checks.integer(1), checks.oneOf(Infinity)),
    maxBytes: checks.integer(0),
    sweepInterval: checks.duration({ min: 1, max: MAX_TIMER_MS, between: 'between 1 ms and 24.8 days' }),
    sizeOf: checks.function,
    // Checked by the constructor itself (an object with a now() method).
    clock: checks.anything,
  }),
});
