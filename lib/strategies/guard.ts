// What rateLimited() and circuitBreaker() share: the cache they keep their state in, the key of a
// call, and what they do when that cache fails (fail open, unless told to fail closed).
import type { Cache } from '../cache.js';
import { functionKeyName } from '../call-key.js';
import { describeValue } from '../describe.js';
import { parseDuration } from '../duration.js';
import { isCacheFailure } from '../errors.js';
import { resolveCache } from '../registry.js';

/** Options every guard takes. */
export interface GuardOptions<A extends unknown[]> {
  /**
   * The cache that holds the guard's state, or the alias of one in the `caches` registry (resolved
   * at each call). Over Redis, every process calling with the same key shares that state.
   * @default 'default'
   */
  readonly cache?: Cache | string;
  /**
   * A fixed key, or a function of the call's arguments returning one (a user id, a client IP):
   * calls with one key share a limit or a circuit.
   * @default the function's name, one key for every call
   */
  readonly key?: string | ((...args: A) => string);
  /**
   * With the cache failing (down, slow, closed), reject with its error instead of calling the
   * function unguarded.
   * @default false: the function is called and a warning is logged (fail open)
   */
  readonly failClosed?: boolean;
}

/** A guard's options after checking, with the helpers every call needs. */
export class Guard<A extends unknown[]> {
  readonly #cache: Cache | string | undefined;
  readonly #key: string | ((...args: A) => string);
  readonly #failClosed: boolean;
  readonly #kind: string;

  /**
   * @param kind - names the guard in messages and logs: `'rateLimited'`.
   * @throws TypeError for a bad cache, key or failClosed.
   */
  constructor(kind: string, fn: (...args: A) => unknown, options: GuardOptions<A>) {
    const { cache, key, failClosed } = options;
    if (
      cache !== undefined &&
      typeof cache !== 'string' &&
      typeof (cache as Cache).increment !== 'function'
    ) {
      throw new TypeError(`${kind}() option cache must be a Cache or an alias; got ${describeValue(cache)}`);
    }
    if (key !== undefined && typeof key !== 'function' && (typeof key !== 'string' || key === '')) {
      throw new TypeError(
        `${kind}() option key must be a non-empty string or a function; got ${describeValue(key)}`,
      );
    }
    if (failClosed !== undefined && typeof failClosed !== 'boolean') {
      throw new TypeError(`${kind}() option failClosed must be a boolean; got ${describeValue(failClosed)}`);
    }
    this.#kind = kind;
    this.#cache = cache;
    this.#key = key ?? functionKeyName(fn);
    this.#failClosed = failClosed ?? false;
  }

  /** The cache in use (resolving an alias now). */
  get cache(): Cache {
    return typeof this.#cache === 'object' ? this.#cache : resolveCache(this.#cache);
  }

  /** The guard's key for a call with these arguments. */
  keyFor(args: A): string {
    const key = this.#key;
    if (typeof key === 'string') return key;
    const made = key(...args);
    if (typeof made !== 'string' || made === '') {
      throw new TypeError(
        `the key function of ${this.#kind}() must return a non-empty string; got ${describeValue(made)}`,
      );
    }
    return made;
  }

  /**
   * Whether a failure of the cache lets the call through unguarded (fail open): logged, `true`.
   * Anything else (a mistake, or failClosed) is `false`: the caller rethrows it.
   */
  passesBy(cache: Cache, error: unknown, key: string): boolean {
    if (this.#failClosed || !isCacheFailure(error)) return false;
    cache.logger.warn(
      { key, guard: this.#kind, err: error },
      `${this.#kind}: its cache failed; calling the function unguarded (fail open)`,
    );
    return true;
  }

  /** Logs a failed bookkeeping write that changes nothing for the caller. */
  logged(cache: Cache, key: string, what: string): (error: unknown) => undefined {
    return (error: unknown) => {
      cache.logger.warn({ key, guard: this.#kind, err: error }, `${this.#kind}: ${what} failed`);
      return undefined;
    };
  }
}

/**
 * A required, positive, finite duration option, in ms.
 *
 * @throws TypeError if it is missing; RangeError for a bad, zero or infinite duration.
 */
export function positiveDuration(value: unknown, name: string): number {
  if (value === undefined) throw new TypeError(`${name} is required`);
  const ms = parseDuration(value, name);
  if (ms === 0 || ms === Infinity) {
    throw new RangeError(`${name} must be a finite duration above 0; got ${describeValue(value)}`);
  }
  return ms;
}

/** Throws TypeError if `fn` is not a function. */
export function requireFunction(fn: unknown, kind: string): void {
  if (typeof fn !== 'function') throw new TypeError(`${kind}() needs a function; got ${describeValue(fn)}`);
}

/** Throws TypeError if `options` is not an object. */
export function requireOptions(options: unknown, kind: string): asserts options is object {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${kind}() needs options; got ${describeValue(options)}`);
  }
}
