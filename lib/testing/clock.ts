import { describeValue } from '../describe.js';

/** What a backend reads the time from: milliseconds since the epoch, as `Date.now()` gives them. */
export interface Clock {
  /** The current time in milliseconds. */
  now(): number;
}

/**
 * A clock a test moves by hand, for the conformance suites' `time: { clock }`: the suite advances
 * it instead of sleeping, so ttls expire exactly when the test says and never because the machine
 * was slow. Give the same instance to the backend under test (as its clock) and to the suite.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * describeBackendConformance('my store', {
 *   makeBackend: () => new MyBackend({ clock }),
 *   time: { clock },
 * });
 * ```
 */
export class ManualClock implements Clock {
  #now: number;

  /**
   * @param start - the time it shows first, in ms since the epoch. @default 1_767_225_600_000 (2026-01-01)
   * @throws RangeError if `start` is not a finite number.
   */
  constructor(start = MANUAL_CLOCK_START) {
    if (typeof start !== 'number' || !Number.isFinite(start)) {
      throw new RangeError(`ManualClock start must be a finite number of ms; got ${describeValue(start)}`);
    }
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /**
   * Moves the clock forward.
   *
   * @throws RangeError if `ms` is negative or not a finite number (clocks do not go back).
   */
  advance(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`advance needs a non-negative number of ms; got ${describeValue(ms)}`);
    }
    this.#now += ms;
  }
}

/** Where a {@link ManualClock} starts unless told otherwise: 2026-01-01T00:00:00Z. */
export const MANUAL_CLOCK_START = 1_767_225_600_000;
