import { randomUUID } from 'node:crypto';
import type { Cache } from '../cache.js';
import { describeValue } from '../describe.js';
import type { Duration } from '../duration.js';
import { CircuitOpenError, KeyExistsError } from '../errors.js';
import { refuseUnknownOptions } from '../options-schema.js';
import { internally } from '../telemetry/internal.js';
import { Guard, positiveDuration, requireFunction, requireOptions, type GuardOptions } from './guard.js';

/** Options of {@link circuitBreaker}. */
export interface CircuitBreakerOptions<A extends unknown[] = unknown[]> extends GuardOptions<A> {
  /** The share of failed calls, above 0 and up to 1 (`0.5`: half), at which the circuit opens. */
  readonly errorRate: number;
  /** The circuit opens only once at least this many calls were made in the window: an integer from 1 up. */
  readonly minCalls: number;
  /** The window calls and failures are counted in: it starts at its first call and lasts this long. */
  readonly period: Duration;
  /**
   * How long an open circuit rejects every call; then one trial call is let through. This is also
   * how long a trial may run before another is let through (should its caller never report back).
   */
  readonly openFor: Duration;
}

/** A function wrapped by {@link circuitBreaker}: same arguments, a promise of the same result. */
export type CircuitBreakerFunction<A extends unknown[], R> = ((...args: A) => Promise<R>) & {
  /** Closes the circuit of these arguments' key and forgets its counts. */
  reset(...args: A): Promise<number>;
  /** The circuit's key for these arguments (before the cache's namespace and the `circuit:` prefix). */
  keyFor(...args: A): string;
};

const OPTION_NAMES: readonly (keyof CircuitBreakerOptions)[] = [
  'errorRate',
  'minCalls',
  'period',
  'openFor',
  'cache',
  'key',
  'failClosed',
];

// Calls and failures share one counter, so one atomic increment counts both in one window: a call
// adds 1, a failure adds FAILURE + 1. Up to FAILURE - 1 calls per window are counted exactly.
const FAILURE = 2 ** 26;
const NO_JITTER = { jitter: 0 } as const;

/** The keys of one circuit. */
interface CircuitKeys {
  readonly counts: string;
  /** Present (with openFor as its ttl) while the circuit is open. */
  readonly open: string;
  /** Present from the circuit's opening until a trial succeeds: past `open`, the circuit is half-open. */
  readonly tripped: string;
  /** Held (`add`, `SET NX`) by the caller making the one trial call. */
  readonly trial: string;
}

/**
 * Stops calling a failing function for a while. Closed, every call reaches `fn` and is counted;
 * when at least `minCalls` calls of the current `period` were made and `errorRate` of them or more
 * failed, the circuit opens: calls reject with {@link CircuitOpenError} for `openFor`. Then it is
 * half-open: exactly one trial call reaches `fn` (taken with `add`, `SET NX` on Redis, so one across
 * processes) while the others keep rejecting. A successful trial closes the circuit and resets its
 * counts; a failed one opens it again for `openFor`.
 *
 * The state lives in the cache (`circuit:<key>:*` keys), so every process over one Redis shares
 * one circuit per key. Each call costs a read of the state before it and an increment after it.
 * With the cache failing, the function is called and a warning logged (fail open), unless
 * `failClosed` is set. The state's commands are larder's own (traced as `internal`); `reset` is
 * the caller's.
 *
 * @throws TypeError or RangeError at wrap time for bad options.
 * @example
 * ```ts
 * const charge = circuitBreaker(payments.charge, { errorRate: 0.5, minCalls: 20, period: '1m', openFor: '30s' });
 * ```
 */
export function circuitBreaker<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  options: CircuitBreakerOptions<A>,
): CircuitBreakerFunction<A, Awaited<R>> {
  requireFunction(fn, 'circuitBreaker');
  requireOptions(options, 'circuitBreaker');
  refuseUnknownOptions(options, OPTION_NAMES, 'circuitBreaker()');
  const { errorRate, minCalls } = options;
  if (typeof errorRate !== 'number' || !(errorRate > 0 && errorRate <= 1)) {
    throw new RangeError(
      `circuitBreaker() option errorRate must be a number above 0 and up to 1; got ${describeValue(errorRate)}`,
    );
  }
  if (!Number.isSafeInteger(minCalls) || minCalls < 1 || minCalls >= FAILURE) {
    throw new RangeError(
      `circuitBreaker() option minCalls must be an integer from 1 up; got ${describeValue(minCalls)}`,
    );
  }
  const periodMs = positiveDuration(options.period, 'circuitBreaker() option period');
  const openForMs = positiveDuration(options.openFor, 'circuitBreaker() option openFor');
  // Awaited where it is returned: what fn gives is the wrapped function's result.
  const call = fn as (...args: A) => Promise<Awaited<R>>;
  const guard = new Guard<A>('circuitBreaker', fn, options);
  const keysOf = (key: string): CircuitKeys => {
    const base = `circuit:${key}:`;
    return { counts: `${base}counts`, open: `${base}open`, tripped: `${base}tripped`, trial: `${base}trial` };
  };

  async function guarded(this: unknown, ...args: A): Promise<Awaited<R>> {
    const cache = guard.cache;
    const key = guard.keyFor(args);
    const keys = keysOf(key);
    let open: unknown;
    let tripped: unknown;
    try {
      [open, tripped] = await internally(() => cache.multiGet([keys.open, keys.tripped]));
    } catch (error) {
      if (guard.passesBy(cache, error, key)) return call.apply(this, args);
      throw error;
    }
    if (open !== undefined) {
      const left = await internally(() => cache.ttl(keys.open)).catch(() => undefined);
      throw new CircuitOpenError(key, left === Infinity ? undefined : left);
    }
    if (tripped !== undefined) return trial(this, args, cache, key, keys);
    return counted(this, args, cache, key, keys);
  }

  // A closed circuit: the call runs, then is counted, and a failure may open the circuit.
  async function counted(
    self: unknown,
    args: A,
    cache: Cache,
    key: string,
    keys: CircuitKeys,
  ): Promise<Awaited<R>> {
    let result: Awaited<R>;
    try {
      result = await call.apply(self, args);
    } catch (error) {
      await count(cache, key, keys, true);
      throw error;
    }
    await count(cache, key, keys, false);
    return result;
  }

  // Counts one call; what goes wrong here is logged and never changes the call's outcome.
  async function count(cache: Cache, key: string, keys: CircuitKeys, failed: boolean): Promise<void> {
    const log = guard.logged(cache, key, 'counting a call');
    const total = await internally(() => cache.increment(keys.counts, failed ? FAILURE + 1 : 1)).catch(log);
    if (total === undefined) return;
    const calls = total % FAILURE;
    // The window starts with its first call.
    if (calls === 1) await internally(() => cache.expire(keys.counts, periodMs)).catch(log);
    if (!failed || calls < minCalls) return;
    const failures = Math.floor(total / FAILURE);
    if (failures / calls < errorRate) return;
    // A window whose ttl was lost (a process died between its increment and expire) holds counts
    // of unknown age: it gets a ttl now, and does not open the circuit.
    if (calls > 1 && (await internally(() => cache.ttl(keys.counts)).catch(log)) === Infinity) {
      await internally(() => cache.expire(keys.counts, periodMs)).catch(log);
      return;
    }
    await internally(() =>
      Promise.all([
        cache.set(keys.open, 'open', { ttl: openForMs, ...NO_JITTER }),
        cache.set(keys.tripped, 'tripped', { ttl: 0, ...NO_JITTER }),
      ]),
    ).catch(guard.logged(cache, key, 'opening the circuit'));
    await internally(() => cache.delete(keys.counts)).catch(log);
    cache.logger.warn({ key, calls, failures }, 'circuitBreaker: the circuit opened');
  }

  // A half-open circuit: one caller, the one whose add succeeds, makes the trial call.
  async function trial(
    self: unknown,
    args: A,
    cache: Cache,
    key: string,
    keys: CircuitKeys,
  ): Promise<Awaited<R>> {
    try {
      // Held for openFor at most: should this caller never report back, another trial follows.
      const held = await internally(() =>
        cache.add(keys.trial, randomUUID(), { ttl: openForMs, ...NO_JITTER }),
      );
      // false: a safe-mode cache whose backend failed; nobody holds the trial then.
      if (!held) throw new CircuitOpenError(key, 0);
    } catch (error) {
      if (error instanceof KeyExistsError || error instanceof CircuitOpenError) {
        throw new CircuitOpenError(key, 0);
      }
      if (guard.passesBy(cache, error, key)) return call.apply(self, args);
      throw error;
    }
    let result: Awaited<R>;
    try {
      result = await call.apply(self, args);
    } catch (error) {
      // Open again first, then let the trial go: no caller slips through in between.
      await internally(() => cache.set(keys.open, 'open', { ttl: openForMs, ...NO_JITTER })).catch(
        guard.logged(cache, key, 'reopening the circuit'),
      );
      await internally(() => cache.delete(keys.trial)).catch(guard.logged(cache, key, 'ending the trial'));
      cache.logger.warn(
        { key, err: error },
        'circuitBreaker: the trial call failed; the circuit opened again',
      );
      throw error;
    }
    await internally(() => cache.multiDelete([keys.tripped, keys.trial, keys.counts])).catch(
      guard.logged(cache, key, 'closing the circuit'),
    );
    cache.logger.info({ key }, 'circuitBreaker: the trial call succeeded; the circuit closed');
    return result;
  }

  Object.defineProperty(guarded, 'name', { value: fn.name });
  return Object.defineProperties(guarded, {
    reset: {
      value: (...args: A) => {
        const keys = keysOf(guard.keyFor(args));
        return guard.cache.multiDelete([keys.open, keys.tripped, keys.trial, keys.counts]);
      },
    },
    keyFor: { value: (...args: A) => guard.keyFor(args) },
  }) as CircuitBreakerFunction<A, Awaited<R>>;
}
