import type { Cache } from '../cache.js';
import { describeValue } from '../describe.js';
import { parseDuration, type Duration } from '../duration.js';
import { RateLimitError } from '../errors.js';
import { refuseUnknownOptions } from '../options-schema.js';
import { internally } from '../telemetry/internal.js';
import { Guard, positiveDuration, requireFunction, requireOptions, type GuardOptions } from './guard.js';

/** Options of {@link rateLimited}. */
export interface RateLimitOptions<A extends unknown[] = unknown[]> extends GuardOptions<A> {
  /** How many calls per key may pass in each window: an integer from 1 up. */
  readonly limit: number;
  /** The window's length: it starts at the first call of a key and lasts this long. */
  readonly period: Duration;
  /**
   * Once a key goes over its limit, keep rejecting its calls for this long (from that first
   * rejected call) instead of until its window ends.
   * @default none: calls pass again once the window ends
   */
  readonly ban?: Duration;
}

/** A function wrapped by {@link rateLimited}: same arguments, a promise of the same result. */
export type RateLimitedFunction<A extends unknown[], R> = ((...args: A) => Promise<R>) & {
  /** Forgets the count (and any ban) of these arguments' key. @returns how many keys were removed. */
  reset(...args: A): Promise<number>;
  /** The key these arguments count against (before the cache's namespace and the `rate-limit:` prefix). */
  keyFor(...args: A): string;
};

const OPTION_NAMES: readonly (keyof RateLimitOptions)[] = [
  'limit',
  'period',
  'ban',
  'cache',
  'key',
  'failClosed',
];
const PREFIX = 'rate-limit:';

/**
 * Lets at most `limit` calls per `period` through for each key; a call over the limit rejects with
 * {@link RateLimitError} (its `retryAfterMs` says when to come back) and never reaches `fn`.
 *
 * The window is fixed and kept by the cache: the first call of a key creates a counter
 * (`rate-limit:<key>`, `INCR` on Redis) and gives it the period as its ttl; every call adds one, and
 * a call passes if the count it gets is within the limit. The increment is atomic, so over Redis
 * every process shares the limit exactly, and no client clock decides when a window ends.
 *
 * With the cache failing, the function is called and a warning logged (fail open), unless
 * `failClosed` is set. The counter's commands are larder's own (traced as `internal`); `reset`
 * is the caller's.
 *
 * @throws TypeError or RangeError at wrap time for bad options.
 * @example
 * ```ts
 * const search = rateLimited(api.search, { limit: 10, period: '1m', ban: '10m', key: (user) => user.id });
 * try { await search(user, 'cashews'); } catch (e) { if (e instanceof RateLimitError) retryIn(e.retryAfterMs); }
 * ```
 */
export function rateLimited<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  options: RateLimitOptions<A>,
): RateLimitedFunction<A, Awaited<R>> {
  requireFunction(fn, 'rateLimited');
  requireOptions(options, 'rateLimited');
  refuseUnknownOptions(options, OPTION_NAMES, 'rateLimited()');
  const { limit } = options;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(
      `rateLimited() option limit must be an integer from 1 up; got ${describeValue(limit)}`,
    );
  }
  const periodMs = positiveDuration(options.period, 'rateLimited() option period');
  const banMs = options.ban === undefined ? 0 : parseDuration(options.ban, 'rateLimited() option ban');
  if (banMs === Infinity) throw new RangeError('rateLimited() option ban must be finite');
  // Awaited where it is returned: what fn gives is the wrapped function's result.
  const call = fn as (...args: A) => Promise<Awaited<R>>;
  const guard = new Guard<A>('rateLimited', fn, options);

  async function limited(this: unknown, ...args: A): Promise<Awaited<R>> {
    const cache = guard.cache;
    const key = guard.keyFor(args);
    const counter = PREFIX + key;
    let count: number;
    try {
      count = await internally(() => cache.increment(counter));
    } catch (error) {
      if (guard.passesBy(cache, error, key)) return call.apply(this, args);
      throw error;
    }
    if (count === 1) {
      // The window starts with its first call. Should this expire be lost (a crash in between),
      // the counter would never end; the first call it rejects repairs that (see below).
      await internally(() => cache.expire(counter, periodMs)).catch(
        guard.logged(cache, key, 'starting a window'),
      );
    }
    if (count <= limit) return call.apply(this, args);
    throw new RateLimitError(key, await retryAfter(cache, counter, count, key));
  }

  // How long the caller must wait; the first rejected call starts the ban, if there is one.
  async function retryAfter(cache: Cache, counter: string, count: number, key: string): Promise<number> {
    const log = guard.logged(cache, key, 'reading the window');
    if (banMs > 0 && count === limit + 1) {
      await internally(() => cache.expire(counter, banMs)).catch(log);
      return banMs;
    }
    const left = await internally(() => cache.ttl(counter)).catch(log);
    if (left !== Infinity) return left ?? 0;
    // A counter without a ttl lost its window's start: give it one now.
    const windowMs = banMs > 0 ? banMs : periodMs;
    await internally(() => cache.expire(counter, windowMs)).catch(log);
    return windowMs;
  }

  Object.defineProperty(limited, 'name', { value: fn.name });
  return Object.defineProperties(limited, {
    reset: { value: (...args: A) => guard.cache.delete(PREFIX + guard.keyFor(args)) },
    keyFor: { value: (...args: A) => guard.keyFor(args) },
  }) as RateLimitedFunction<A, Awaited<R>>;
}
