/** Where a component reads the time: milliseconds, as `Date.now()` counts them. Inject one to test expiry without waiting. */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const SYSTEM_CLOCK: Clock = Object.freeze({ now: () => Date.now() });
