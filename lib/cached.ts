import type { Cache } from './cache.js';
import { callKey, functionKeyName } from './call-key.js';
import { checkOptions, type CachedOptions, type CheckedOptions } from './cached-options.js';
import { describeValue } from './describe.js';
import { KeyHandle } from './backends/backend.js';
import { systemClock } from './clock.js';
import { KeyMemo, memoLimitFor } from './key-memo.js';
import { ReadThrough } from './read-through.js';
import { resolveCache } from './registry.js';
import { tagsOfResult, type TaggingOptions } from './tags/tag-door.js';
import { telemetryOfCache } from './telemetry/cache-telemetry.js';
import { operationChannel } from './telemetry/channels.js';

export type { CachedOptions } from './cached-options.js';

/** A function wrapped by {@link cached}: same arguments, a promise of the same result, plus helpers. */
export type CachedFunction<A extends unknown[], R> = ((...args: A) => Promise<R>) & {
  /** Removes the stored result for these arguments. @returns how many keys were removed. */
  invalidate(...args: A): Promise<number>;
  /** The cache key for these arguments (before the cache's namespace). */
  keyFor(...args: A): string;
  /** The cache in use (resolving the alias now). */
  readonly cache: Cache;
};

/**
 * A method decorator made by `cached(options)`, both a TC39 (TypeScript 5) decorator and one for
 * `experimentalDecorators` (NestJS, Angular): it tells which by the arguments it is called with.
 * It fits methods whose arguments `A` and result `R` the options' `key` and `skipCache` accept, so
 * a key typed `(id: string) => string` decorates `find(id: string)` and not `find(id: number)`.
 */
export type CachedMethodDecorator<A extends unknown[] = unknown[], R = unknown> = {
  <This, MA extends A, MR extends R>(
    target: (this: This, ...args: MA) => Promise<MR>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: MA) => Promise<MR>>,
  ): (this: This, ...args: MA) => Promise<MR>;
  <MA extends A, MR extends R>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<(...args: MA) => Promise<MR>>,
  ): TypedPropertyDescriptor<(...args: MA) => Promise<MR>>;
};

/**
 * Memoises an async function in a cache. Concurrent calls with the same key in this process share
 * one call (and its rejection, which is never cached). If the cache itself fails (down, timeout),
 * the function is called and its result returned: it fails open, with a warning logged.
 *
 * Called with a function, it returns the wrapped function; called with options only, it returns a
 * method decorator, TC39 or `experimentalDecorators` (NestJS) alike.
 *
 * @throws TypeError or RangeError at wrap time for bad options.
 * @example
 * ```ts
 * const getUser = cached(async (id: string) => db.users.find(id), { ttl: '5m', staleTtl: '1m' });
 * await getUser('42');
 * await getUser.invalidate('42');
 *
 * class Repo {
 *   @cached({ ttl: '1m' })
 *   async find(id: string) { ... }
 * }
 * ```
 */
export function cached<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  options?: CachedOptions<A, Awaited<R>>,
): CachedFunction<A, Awaited<R>>;
// The arguments and result are inferred from `key` and `skipCache` (unknown when left out), and the
// decorator then checks the method against them: `(...args: unknown[]) => string` alone would
// refuse every key function with typed parameters (TS2769).
export function cached<A extends unknown[] = unknown[], R = unknown>(
  options?: CachedOptions<A, R>,
): CachedMethodDecorator<A, R>;
export function cached<A extends unknown[], R>(
  fnOrOptions?: ((...args: A) => R | Promise<R>) | CachedOptions<A, Awaited<R>>,
  maybeOptions?: CachedOptions<A, Awaited<R>>,
): CachedFunction<A, Awaited<R>> | CachedMethodDecorator<A, Awaited<R>> {
  if (typeof fnOrOptions === 'function') {
    const fn = fnOrOptions;
    const memo = new Memoizer<A, Awaited<R>>(functionKeyName(fn), checkOptions(maybeOptions ?? {}));
    const call = fn as (...args: A) => Promise<Awaited<R>>;
    // A call with one argument, the common case, passes it on without gathering it into an array
    // (a rest parameter would allocate one on every call: about 10% of a memoised hit).
    const wrapped = function (this: unknown, arg?: unknown): Promise<Awaited<R>> {
      if (arguments.length === 1) return memo.callOne(this, arg, call);
      // eslint-disable-next-line prefer-rest-params -- only calls of other arities gather their arguments
      return memo.call(this, Array.from(arguments) as A, call);
    } as unknown as (...args: A) => Promise<Awaited<R>>;
    Object.defineProperty(wrapped, 'name', { value: fn.name });
    return Object.defineProperties(wrapped, {
      invalidate: { value: (...args: A) => memo.invalidate(args) },
      keyFor: { value: (...args: A) => memo.keyFor(args) },
      cache: { get: () => memo.cache },
    }) as CachedFunction<A, Awaited<R>>;
  }
  const options = checkOptions((fnOrOptions ?? {}) as CachedOptions) as unknown as CheckedOptions<
    A,
    Awaited<R>
  >;
  return function decorate(target: unknown, context: unknown, descriptor?: PropertyDescriptor): unknown {
    // TC39: (method, context); experimentalDecorators: (prototype or class, name, descriptor).
    if (typeof context === 'object' && context !== null && 'kind' in context) {
      const tc39 = context as ClassMethodDecoratorContext;
      if (tc39.kind !== 'method') throw new TypeError('@cached() decorates methods');
      return memoised(target as Method<A, Awaited<R>>, String(tc39.name), tc39.static, options);
    }
    if (
      (typeof context !== 'string' && typeof context !== 'symbol') ||
      typeof descriptor?.value !== 'function'
    ) {
      throw new TypeError('@cached() decorates methods');
    }
    const method = memoised(
      descriptor.value as Method<A, Awaited<R>>,
      String(context),
      typeof target === 'function',
      options,
    );
    return { ...descriptor, value: method };
  } as CachedMethodDecorator<A, Awaited<R>>;
}

type Method<A extends unknown[], R> = (this: unknown, ...args: A) => Promise<R>;

// A decorated method: one memoizer per class, named `Class.method` and made on the class's first
// call, so `Repo.find` and `Other.find` never share keys. Found by the class itself, not by a name
// built on every call: a fresh string would cost every memoised hit its hashing.
function memoised<A extends unknown[], R>(
  target: Method<A, R>,
  method: string,
  isStatic: boolean,
  options: CheckedOptions<A, R>,
): Method<A, R> {
  const make = (owner: string | undefined): Memoizer<A, R> =>
    new Memoizer<A, R>(`${owner ?? 'anonymous'}.${method}`, options);
  const memos = new WeakMap<object, Memoizer<A, R>>();
  let ownerless: Memoizer<A, R> | undefined;
  const memoFor = (self: unknown): Memoizer<A, R> => {
    const owner = isStatic ? self : (self as { constructor?: unknown } | null | undefined)?.constructor;
    if (typeof owner !== 'function') return (ownerless ??= make(undefined));
    let memo = memos.get(owner);
    if (memo === undefined) memos.set(owner, (memo = make(owner.name)));
    return memo;
  };
  return function (this: unknown, arg?: unknown): Promise<R> {
    const memo = memoFor(this);
    if (arguments.length === 1) return memo.callOne(this, arg, target);
    // eslint-disable-next-line prefer-rest-params -- only calls of other arities gather their arguments
    return memo.call(this, Array.from(arguments) as A, target);
  } as unknown as Method<A, R>;
}

class Memoizer<A extends unknown[], R> {
  readonly #name: string;
  readonly #options: CheckedOptions<A, R>;
  readonly #engine: ReadThrough<R>;
  readonly #namespaceOptions: { namespace: string } | undefined;
  // What the engine writes with: the namespace, and fixed tags if any.
  readonly #writeOptions: (TaggingOptions & { namespace?: string }) | undefined;
  readonly #tagsOf: ((result: R, ...args: A) => readonly string[]) | undefined;
  // The cache when one was given as an object; an alias is resolved at each call instead.
  readonly #fixedCache: Cache | undefined;
  // Handles of the final keys of recent one-argument calls (see #remembered), in the cache they
  // were made for (made anew if an alias comes to name another cache).
  #handles: KeyMemo<string | number> | undefined;
  #handlesCache: Cache | undefined;

  constructor(name: string, options: CheckedOptions<A, R>) {
    this.#name = name;
    this.#options = options;
    this.#namespaceOptions = options.namespace === undefined ? undefined : { namespace: options.namespace };
    this.#fixedCache = typeof options.cache === 'object' ? options.cache : undefined;
    const tags = options.tags;
    this.#tagsOf = typeof tags === 'function' ? tags : undefined;
    this.#writeOptions =
      tags === undefined || typeof tags === 'function' || tags.length === 0
        ? this.#namespaceOptions
        : { ...this.#namespaceOptions, tags: [...tags] };
    this.#engine = new ReadThrough<R>({
      name,
      ttlMs: options.ttlMs,
      staleTtlMs: options.staleTtlMs,
      staleIfErrorMs: options.staleIfErrorMs,
      leaseMs: options.leaseMs,
      skipCache: options.skipCache,
      failOpen: true,
      clock: options.clock ?? systemClock,
      hits: options.hits,
      refreshAhead: options.refreshAhead,
      jitter: options.jitterSpread,
      random: options.random ?? Math.random,
    });
  }

  get cache(): Cache {
    return this.#fixedCache ?? resolveCache(this.#options.cache);
  }

  keyFor(args: A): string {
    const key = this.#options.key;
    if (typeof key === 'string') return key;
    if (key === undefined) return callKey(this.#name, args);
    return this.#checkedKey(key(...args));
  }

  // The key of a call with the one argument `arg`.
  #keyOfOne(arg: unknown): string {
    const key = this.#options.key;
    if (typeof key === 'string') return key;
    if (key === undefined) return callKey(this.#name, [arg]);
    return this.#checkedKey((key as unknown as (arg: unknown) => string)(arg));
  }

  #checkedKey(made: unknown): string {
    if (typeof made !== 'string' || made === '') {
      throw new TypeError(
        `the key function of ${this.#name} must return a non-empty string; got ${describeValue(made)}`,
      );
    }
    return made;
  }

  // The remembered handle of a final key, made by `build` from `input` if not remembered: for
  // default keys the input is the argument itself (a string, which KeyMemo leaves out when long, or
  // a number), for a key function its key. A hit then neither builds nor hashes the final key, and
  // the backend may find the entry where it found it last.
  #remembered(input: string | number, cache: Cache): KeyHandle {
    if (this.#handlesCache !== cache) {
      const name = this.#name;
      const options = this.#namespaceOptions;
      const build =
        this.#options.key === undefined
          ? (one: string | number) => cache.storedKey(callKey(name, [one]), options)
          : (key: string | number) => cache.storedKey(key as string, options);
      this.#handles = new KeyMemo(memoLimitFor(cache.backend), build);
      this.#handlesCache = cache;
    }
    return this.#handles!.get(input);
  }

  // The write options of a call: with a tags function, bound to the call's arguments.
  #writeOptionsOf(args: A): (TaggingOptions & { namespace?: string }) | undefined {
    const tagsOf = this.#tagsOf;
    if (tagsOf === undefined) return this.#writeOptions;
    return { ...this.#namespaceOptions, [tagsOfResult]: (result: unknown) => tagsOf(result as R, ...args) };
  }

  invalidate(args: A): Promise<number> {
    return this.cache.delete(this.keyFor(args), this.#namespaceOptions);
  }

  /** Calls `fn` on `thisArg` with `args` unless a fresh result is stored or being computed. */
  call<T>(thisArg: T, args: A, fn: (this: T, ...args: A) => Promise<R>): Promise<R> {
    if (args.length === 1) return this.callOne(thisArg, args[0], fn);
    if (operationChannel.hasSubscribers) return this.#traced(thisArg, args, fn);
    let key: string;
    let cache: Cache;
    let handle: KeyHandle;
    try {
      cache = this.cache;
      key = this.keyFor(args);
      handle = new KeyHandle(cache.storedKey(key, this.#namespaceOptions));
    } catch (error) {
      return Promise.reject(error);
    }
    return (
      this.#engine.hitNow(cache, handle) ??
      this.#engine.call(cache, key, handle.key, () => fn.apply(thisArg, args), this.#writeOptionsOf(args))
    );
  }

  /** {@link call} with the one argument `arg`. */
  callOne<T>(thisArg: T, arg: unknown, fn: (this: T, ...args: A) => Promise<R>): Promise<R> {
    if (operationChannel.hasSubscribers) return this.#traced(thisArg, [arg] as A, fn);
    let cache: Cache;
    let handle: KeyHandle | undefined;
    let key: string | undefined;
    try {
      cache = this.cache;
      const keyFn = this.#options.key;
      if (keyFn === undefined && (typeof arg === 'string' || typeof arg === 'number')) {
        handle = this.#remembered(arg, cache);
      } else {
        key = this.#keyOfOne(arg);
        // A key function's key is remembered where the backend can read a handle on the spot
        // (peek): that read skips the backend's hash lookup. Else the key is read as it is, or, in
        // a namespace of the function's own, through a handle made for the call.
        if (typeof keyFn === 'function' && cache.backend.peek !== undefined)
          handle = this.#remembered(key, cache);
        else if (this.#namespaceOptions !== undefined)
          handle = new KeyHandle(cache.storedKey(key, this.#namespaceOptions));
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const hit = this.#engine.hitNow(cache, handle ?? key!);
    if (hit !== undefined) return hit;
    // A remembered handle without a key stands for a default key, which cannot throw.
    key ??= this.#keyOfOne(arg);
    let share: string;
    try {
      share = handle?.key ?? cache.storedKey(key, this.#namespaceOptions);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#engine.call(
      cache,
      key,
      share,
      () => fn.apply(thisArg, [arg] as A),
      this.#tagsOf === undefined ? this.#writeOptions : this.#writeOptionsOf([arg] as A),
    );
  }

  // A call traced on `larder:operation` (op 'cached'): the engine reads through `get` (a traced
  // call of its own) and tells the context what it found.
  #traced<T>(thisArg: T, args: A, fn: (this: T, ...args: A) => Promise<R>): Promise<R> {
    let cache: Cache;
    let key: string;
    let share: string;
    try {
      cache = this.cache;
      key = this.keyFor(args);
      share = cache.storedKey(key, this.#namespaceOptions);
    } catch (error) {
      return Promise.reject(error);
    }
    const telemetry = telemetryOfCache.get(cache);
    // A cache-like object of the caller's own has no telemetry: its calls are not traced.
    // The writes take the call's tags, as untraced calls' do.
    const writeOptions = this.#writeOptionsOf(args);
    if (telemetry === undefined)
      return this.#engine.call(cache, key, share, () => fn.apply(thisArg, args), writeOptions);
    const ctx = telemetry.context('cached', key, undefined, this.#options.namespace, {
      function: this.#name,
    });
    return telemetry.trace(ctx, () =>
      this.#engine.call(cache, key, share, () => fn.apply(thisArg, args), writeOptions, false, ctx),
    );
  }
}
