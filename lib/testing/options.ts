import type { Backend } from '../backends/backend.js';
import { CAPABILITY_METHODS, capabilitiesOf, type Capability } from '../backends/capabilities.js';
import { describeValue } from '../describe.js';
import { isPromiseLike } from '../promise.js';
import { resolveTestFunctions, type TestFunctions } from './runner.js';

/**
 * How the suites let time pass. Either a clock the suite advances (the backend must read its time
 * from the same clock): nothing sleeps and no test depends on the machine's speed. Or real time, for
 * a backend that lives on it (a server): ttls are expressed in units of `unitMs`, and the suite
 * only asserts what holds however slow the machine is (a key with a one-unit ttl is gone after
 * three units of sleep; a ttl read is within `(0, ttl]`); a key that must still be there always
 * has a ttl of an hour or more.
 */
export type SuiteTime =
  | {
      /** The clock the backend reads; the suite calls `advance` instead of sleeping. */
      readonly clock: { now(): number; advance(ms: number): unknown };
      /** How many ms one unit of ttl is. @default 1_000 */
      readonly unitMs?: number;
    }
  | {
      /** How many ms one unit of ttl is: the shorter, the faster the suite. @default 100 */
      readonly unitMs: number;
      /** Waits `ms` of real time. @default a `setTimeout` promise */
      readonly sleep?: (ms: number) => Promise<unknown>;
    };

/** What the suites use when given no `time`: real time in units of 100 ms. */
export const DEFAULT_TIME: SuiteTime = Object.freeze({ unitMs: 100 });

/** Turns a capability's checks on (`true`) or off (`false`) whatever the backend's methods say. */
export type CapabilityFlags = { readonly [C in Capability]?: boolean };

/** Options the two suites share. */
export interface SharedSuiteOptions {
  /**
   * Builds the backend under test over an empty store, before each test; the suite closes it after.
   * For a server shared between tests, empty it here (`await backend.clear('')`).
   */
  readonly makeBackend: () => Backend | Promise<Backend>;
  /**
   * Something with the backend's methods (`MyBackend.prototype`, or an instance never used), from
   * which the suite reads which capabilities to check while it defines its tests. Without it, it
   * calls `makeBackend()` once for that, which must then answer synchronously.
   */
  readonly probe?: object;
  /** Per-capability overrides of what the probe says. */
  readonly capabilities?: CapabilityFlags;
  /** @default DEFAULT_TIME */
  readonly time?: SuiteTime;
}

/**
 * What the suite checks of a capability: `'offered'` (its contract), `'absent'` (that it is missing,
 * and at the cache level that the operation needing it is refused), or `'off'` (reported skipped:
 * the backend has the method but a flag turned its checks off).
 */
export type CapabilityState = 'offered' | 'absent' | 'off';

/** The time helpers the suites' tests use. */
export class SuiteTimer {
  /** One unit of ttl, in ms. */
  readonly unit: number;
  /** A ttl no run of the suite outlives (an hour): keys that must still be there have it. */
  readonly long = 3_600_000;
  readonly #advance: (ms: number) => Promise<void>;

  constructor(time: SuiteTime = DEFAULT_TIME) {
    if (typeof time !== 'object' || time === null) {
      throw new TypeError(`time must be { clock } or { unitMs }; got ${describeValue(time)}`);
    }
    const unit = time.unitMs ?? ('clock' in time ? 1_000 : undefined);
    if (typeof unit !== 'number' || !Number.isSafeInteger(unit) || unit < 1) {
      throw new RangeError(`time.unitMs must be a positive integer; got ${describeValue(unit)}`);
    }
    this.unit = unit;
    if ('clock' in time) {
      const clock = time.clock;
      if (typeof clock?.advance !== 'function' || typeof clock.now !== 'function') {
        throw new TypeError(`time.clock must have now() and advance(ms); got ${describeValue(clock)}`);
      }
      this.#advance = async (ms) => {
        await clock.advance(ms);
      };
    } else {
      const sleep = time.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
      if (typeof sleep !== 'function') {
        throw new TypeError(`time.sleep must be a function; got ${describeValue(time.sleep)}`);
      }
      this.#advance = async (ms) => {
        await sleep(ms);
      };
    }
  }

  /** `n` units of ttl, in ms. */
  units(n: number): number {
    return n * this.unit;
  }

  /** Lets `n` units of time pass (advancing the clock, or sleeping). */
  elapse(n: number): Promise<void> {
    return this.#advance(this.units(n));
  }
}

/**
 * What both suites start from: their options checked, the runner's test functions, the suite's
 * time, and the capabilities it checks.
 *
 * @throws TypeError for a `makeBackend` that is not a function, or no test functions.
 */
export function startSuite(
  options: SharedSuiteOptions,
  fns: Partial<TestFunctions> | undefined,
): { test: TestFunctions; time: SuiteTimer; capabilities: Readonly<Record<Capability, CapabilityState>> } {
  if (typeof options?.makeBackend !== 'function') {
    throw new TypeError(`options.makeBackend must be a function; got ${describeValue(options?.makeBackend)}`);
  }
  return {
    test: resolveTestFunctions(fns),
    time: new SuiteTimer(options.time),
    capabilities: resolveCapabilities(options),
  };
}

/**
 * Which capabilities the suite checks, found while it defines its tests: the flags, then the
 * probe's methods, then those of a backend made for the purpose (and closed at once).
 *
 * @throws TypeError if it has to make a backend and `makeBackend` answers with a promise.
 */
export function resolveCapabilities(
  options: SharedSuiteOptions,
): Readonly<Record<Capability, CapabilityState>> {
  const flags = options.capabilities ?? {};
  const everyFlagGiven = CAPABILITY_METHODS.every((name) => typeof flags[name] === 'boolean');
  let probe = options.probe;
  if (probe === undefined && !everyFlagGiven) {
    const made = options.makeBackend();
    if (isPromiseLike(made)) {
      made.then(
        (backend) => Promise.resolve(backend.close()).catch(() => undefined),
        () => undefined,
      );
      throw new TypeError(
        'makeBackend answers with a promise, so the suite cannot see which capabilities to check ' +
          'while it defines its tests: pass probe (e.g. MyBackend.prototype) or every capability flag',
      );
    }
    probe = made;
    void Promise.resolve()
      .then(() => made.close())
      .catch(() => undefined);
  }
  const detected = probe === undefined ? undefined : capabilitiesOf(probe);
  return Object.freeze(
    Object.fromEntries(
      CAPABILITY_METHODS.map((name): [Capability, CapabilityState] => {
        const flag = flags[name];
        const has = detected?.[name] ?? false;
        if (flag === true) return [name, 'offered'];
        if (flag === false) return [name, has ? 'off' : 'absent'];
        return [name, has ? 'offered' : 'absent'];
      }),
    ) as Record<Capability, CapabilityState>,
  );
}
