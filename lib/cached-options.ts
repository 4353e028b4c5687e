// The options of cached() and the decorator: their type, and the checks made once, at wrap time,
// so that a bad option is a TypeError or RangeError where the function is wrapped, never at a call.
import type { Cache } from './cache.js';
import type { Clock } from './clock.js';
import { describeValue } from './describe.js';
import { parseDuration, parseTtl, type Duration } from './duration.js';
import { refuseUnknownOptions } from './options-schema.js';
import {
  parseJitter,
  randomSourceOf,
  type Jitter,
  type JitterSpread,
  type RandomSource,
} from './strategies/jitter.js';
import { checkTags } from './tags/tag-space.js';

const DEFAULT_LEASE = '30s';

/** Options of {@link cached}. */
export interface CachedOptions<A extends unknown[] = unknown[], R = unknown> {
  /**
   * The cache, or the alias of one in the `caches` registry (resolved at each call, so the config
   * may be set after the function is wrapped).
   * @default 'default'
   */
  readonly cache?: Cache | string;
  /** ttl of stored results (required with `staleTtl`/`staleIfError`). @default the cache's ttl */
  readonly ttl?: Duration | null;
  /** Namespace for this function's keys instead of the cache's. */
  readonly namespace?: string;
  /**
   * A fixed key, or a function of the call's arguments returning the key.
   * @default the function's name and a stable encoding of the arguments
   */
  readonly key?: string | ((...args: A) => string);
  /** Return `true` to not store this result (it is still returned). */
  readonly skipCache?: (result: R) => boolean;
  /**
   * After `ttl`, serve the stale result for this long while one background call refreshes it.
   */
  readonly staleTtl?: Duration;
  /** After `ttl`, serve the stale result for this long if the function throws (the error is logged). */
  readonly staleIfError?: Duration;
  /**
   * On a miss, let only one caller across processes compute (a lock on the key, Redis `SET NX PX`);
   * the others wait for its result. `lease` bounds how long one computation may hold the lock.
   * @default false; `true` means `{ lease: '30s' }`
   */
  readonly lock?: boolean | { readonly lease: Duration };
  /**
   * Tags of stored results, fixed or made from each result and the call's arguments:
   * `cache.invalidateTags([tag])` then makes them miss in every process (see docs/tags.md).
   * Tags are read before the function runs, so a call overlapping an invalidation is returned but
   * not served afterwards.
   * @example `tags: (product, id) => [\`product:${id}\`, 'catalog']`
   */
  readonly tags?: readonly string[] | ((result: R, ...args: A) => readonly string[]);
  /**
   * After a computation, the next `hits` calls are answered from the cache, and the call after them
   * computes again (cashews' hit cache). Over Redis the count is shared by every process (an atomic
   * counter beside the entry), so a hit costs one more round trip.
   */
  readonly hits?: number;
  /**
   * A hit after this fraction of the ttl (`0.8`: the last fifth) is answered at once and starts
   * one background refresh (one per process; one across processes with `lock`). Needs a `ttl`.
   */
  readonly refreshAhead?: number;
  /**
   * Spreads each stored result's ttl uniformly within ± this amount: `'10%'` of it, or a
   * duration. Needs a `ttl` (without one, set `jitter` on the cache).
   * @default none (the cache's jitter, if it has one, spreads the stored ttl)
   */
  readonly jitter?: Jitter;
  /** Where jitter draws its numbers: inject one to test jittered ttls. @default Math.random */
  readonly random?: RandomSource;
  /**
   * Where freshness is read (stale modes, `refreshAhead`): inject one to test stale results without waiting.
   * @default the system clock
   */
  readonly clock?: Clock;
}

/** Options after checking at wrap time. */
export interface CheckedOptions<A extends unknown[], R> extends CachedOptions<A, R> {
  readonly ttlMs: number | undefined;
  readonly staleTtlMs: number;
  readonly staleIfErrorMs: number;
  readonly leaseMs: number | undefined;
  readonly jitterSpread: JitterSpread | undefined;
}

const CACHED_OPTION_NAMES: readonly (keyof CachedOptions)[] = [
  'cache',
  'ttl',
  'namespace',
  'key',
  'skipCache',
  'staleTtl',
  'staleIfError',
  'lock',
  'hits',
  'refreshAhead',
  'jitter',
  'random',
  'clock',
  'tags',
];

export function checkOptions<A extends unknown[], R>(options: CachedOptions<A, R>): CheckedOptions<A, R> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`cached() options must be an object; got ${describeValue(options)}`);
  }
  refuseUnknownOptions(options, CACHED_OPTION_NAMES, 'cached()');
  const { cache, key, skipCache, namespace, lock } = options;
  if (cache !== undefined && typeof cache !== 'string' && typeof (cache as Cache).get !== 'function') {
    throw new TypeError(`cache must be a Cache or an alias; got ${describeValue(cache)}`);
  }
  if (key !== undefined && typeof key !== 'function' && (typeof key !== 'string' || key === '')) {
    throw new TypeError(`key must be a non-empty string or a function; got ${describeValue(key)}`);
  }
  if (skipCache !== undefined && typeof skipCache !== 'function') {
    throw new TypeError(`skipCache must be a function; got ${describeValue(skipCache)}`);
  }
  if (namespace !== undefined && typeof namespace !== 'string') {
    throw new TypeError(`namespace must be a string; got ${describeValue(namespace)}`);
  }
  const ttlMs = options.ttl === undefined ? undefined : parseTtl(options.ttl);
  const staleTtlMs = options.staleTtl === undefined ? 0 : parseDuration(options.staleTtl, 'staleTtl');
  const staleIfErrorMs =
    options.staleIfError === undefined ? 0 : parseDuration(options.staleIfError, 'staleIfError');
  if ((staleTtlMs > 0 || staleIfErrorMs > 0) && !ttlMs) {
    throw new TypeError('staleTtl and staleIfError need a ttl: a result is stale once its ttl has passed');
  }
  let leaseMs: number | undefined;
  if (lock === true) leaseMs = parseDuration(DEFAULT_LEASE, 'lock.lease');
  else if (typeof lock === 'object' && lock !== null) leaseMs = parseDuration(lock.lease, 'lock.lease');
  else if (lock !== undefined && lock !== false)
    throw new TypeError(`lock must be a boolean or { lease }; got ${describeValue(lock)}`);
  if (leaseMs === 0) throw new RangeError('lock.lease must be above 0');
  if (options.tags !== undefined && typeof options.tags !== 'function') checkTags(options.tags, 'tags');
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
    throw new TypeError(`clock must have a now() method; got ${describeValue(options.clock)}`);
  }
  const { hits, refreshAhead } = options;
  if (hits !== undefined && (!Number.isSafeInteger(hits) || hits < 1)) {
    throw new RangeError(`hits must be an integer from 1 up; got ${describeValue(hits)}`);
  }
  if (refreshAhead !== undefined) {
    if (typeof refreshAhead !== 'number' || !(refreshAhead > 0 && refreshAhead < 1)) {
      throw new RangeError(
        `refreshAhead must be a fraction of the ttl between 0 and 1; got ${describeValue(refreshAhead)}`,
      );
    }
    if (!ttlMs) throw new TypeError('refreshAhead needs a ttl: it is a fraction of it');
  }
  const jitterSpread = parseJitter(options.jitter);
  if (jitterSpread !== undefined && ttlMs === undefined) {
    throw new TypeError(
      "jitter needs a ttl in cached(); to spread the cache's own ttl, set jitter on the cache",
    );
  }
  randomSourceOf(options.random);
  return { ...options, ttlMs, staleTtlMs, staleIfErrorMs, leaseMs, jitterSpread };
}
