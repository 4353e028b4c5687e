import { AsyncResource } from 'node:async_hooks';

/**
 * A source of the current time, in milliseconds since the epoch as `Date.now()` gives it. The memory
 * backend makes every expiry decision through one, so a test can hand it a clock it moves by hand
 * (`ManualClock` in `larder/testing`) instead of faking the global timers.
 *
 * @example
 * ```ts
 * let now = Date.UTC(2026, 0, 1);
 * const backend = new MemoryBackend({ clock: { now: () => now } });
 * backend.set('k', 'v', 1_000);
 * now += 1_000; // 'k' has expired
 * ```
 */
export interface Clock {
  /** The current time in milliseconds since the epoch. */
  now(): number;
}

// How long one reading of the system clock is reused, and for how many calls at most. The timer
// alone cannot bound a reading's age inside one long synchronous stretch (it fires only when the
// event loop turns); the count bounds it in a tight loop of cache calls, for a tenth of a
// nanosecond per call.
const RESOLUTION_MS = 1;
const MAX_REUSES = 1_000;

// `Date.now` and `setTimeout` as they were when larder was loaded. While the global `Date.now` is
// another function (a test's fake timers), every call goes to it and nothing is reused, so faked
// time is seen exactly as the fake moves it. The timer that clears a reading is always the real one,
// so faking the timers alone cannot leave a reading in place.
const SYSTEM_DATE_NOW = Date.now;
const SYSTEM_SET_TIMEOUT = setTimeout;
// The one timer is made in the async scope larder was loaded in: made in the first caller's, it
// would hold that caller's AsyncLocalStorage stores for as long as the process runs.
const TIMER_SCOPE = new AsyncResource('LarderClock');

let reading = 0;
let reusesLeft = 0;
let forgetTimer: NodeJS.Timeout | undefined;
let forgetting = false;

function forget(): void {
  reading = 0;
  forgetting = false;
}

function read(): number {
  const now = Date.now();
  if (Date.now !== SYSTEM_DATE_NOW) {
    // Faked: nothing is reused now, nor once the fake is gone (a reading from before it).
    reading = 0;
    return now;
  }
  reading = now;
  reusesLeft = MAX_REUSES;
  if (!forgetting) {
    forgetting = true;
    // One timer, re-armed with refresh(): unref'd, so it never keeps the process alive.
    if (forgetTimer === undefined) {
      forgetTimer = TIMER_SCOPE.runInAsyncScope(SYSTEM_SET_TIMEOUT, undefined, forget, RESOLUTION_MS).unref();
    } else {
      forgetTimer.refresh();
    }
  }
  return now;
}

/**
 * The default {@link Clock}: `Date.now()`, with one reading reused for about a millisecond. Reading
 * the system clock costs 35–105 ns on a VM, a large share of a memory `get`, so (as `lru-cache`
 * does with its `ttlResolution`) a reading is kept until an unref'd 1 ms timer clears it, and for
 * at most 1 000 calls. The trade-off: an entry may be served up to about 1 ms past its expiry, and
 * a ttl may start up to about 1 ms early. Inside one long synchronous stretch of code that calls
 * the cache rarely, a reading can be as old as that stretch, since the timer fires only when the
 * event loop turns. While `Date.now` is faked (sinon, Jest or Vitest fake timers installed after
 * larder was loaded), every call reads it afresh.
 */
export const systemClock: Clock = Object.freeze({
  now(): number {
    if (reading !== 0 && --reusesLeft !== 0 && Date.now === SYSTEM_DATE_NOW) return reading;
    return read();
  },
});
