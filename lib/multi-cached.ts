import type { Cache } from './cache.js';
import { callKey, functionKeyName } from './call-key.js';
import { describeValue } from './describe.js';
import { parseTtl, type Duration } from './duration.js';
import { isCacheFailure } from './errors.js';
import { refuseUnknownOptions } from './options-schema.js';
import { multiGetNoting } from './read-now.js';
import { resolveCache } from './registry.js';
import { tagWriter } from './tags/tag-door.js';
import { checkTags } from './tags/tag-space.js';
import type { TagsTaken } from './tags/tagged-operations.js';
import { telemetryOfCache } from './telemetry/cache-telemetry.js';
import { operationChannel, type OperationContext } from './telemetry/channels.js';
import { internally } from './telemetry/internal.js';

/** The shapes a batch function may answer in. */
export type BatchShape = 'array' | 'map' | 'object';

/** Options of {@link multiCached}. */
export interface MultiCachedOptions<A extends unknown[] = unknown[]> {
  /** The cache, or the alias of one in the `caches` registry. @default 'default' */
  readonly cache?: Cache | string;
  /** ttl of stored results. @default the cache's ttl */
  readonly ttl?: Duration | null;
  /** Namespace for this function's keys instead of the cache's. */
  readonly namespace?: string;
  /**
   * Which argument holds the list of ids.
   * @default 0
   */
  readonly keysFrom?: number;
  /**
   * The cache key of one id (with the call's arguments).
   * @default the function's name, the id and the other arguments, stably encoded
   */
  readonly key?: (id: unknown, ...args: A) => string;
  /** Return `true` to not store this id's result. */
  readonly skipCache?: (value: unknown, id: unknown) => boolean;
  /**
   * The shape of the answer: an array aligned with the ids asked, or a `Map`/object keyed by them.
   * @default the shape the function answered in (an array before it has answered at all)
   */
  readonly shape?: BatchShape;
  /**
   * Tags of each stored result, fixed or made from the id's value, the id and the call's
   * arguments: `cache.invalidateTags([tag])` then makes them miss in every process (see
   * docs/tags.md). Read before the function runs, so a call overlapping an invalidation is
   * returned but not served afterwards.
   */
  readonly tags?: readonly string[] | ((value: unknown, id: unknown, ...args: A) => readonly string[]);
}

/** A batch function wrapped by {@link multiCached}. */
export type MultiCachedFunction<A extends unknown[], R> = ((...args: A) => Promise<R>) & {
  /** Removes the stored results of the ids in these arguments. @returns how many keys were removed. */
  invalidate(...args: A): Promise<number>;
  /**
   * The cache key of one id, with the call's other arguments in their places (the ids argument
   * itself may be left out or given as anything: `keyFor('42')`, or `keyFor('a', 2025)` with `keysFrom: 1`).
   */
  keyFor(id: unknown, ...args: Partial<A>): string;
  /** The cache in use. */
  readonly cache: Cache;
};

/**
 * Memoises a batch function per id: one `multiGet` for every id asked, one call of the function
 * with only the missing ids, and one `multiSet` of what it returned. The function may answer with
 * an array aligned with the ids it was given, or a `Map` or object keyed by them; the wrapper
 * answers for every id asked, in the same shape. If the cache fails, the function is called with
 * every id (fail open).
 *
 * @example
 * ```ts
 * const getUsers = multiCached(async (ids: string[]) => db.users.findMany(ids), { ttl: '5m' });
 * await getUsers(['1', '2', '3']); // only the ids not cached reach the database
 * ```
 */
export function multiCached<A extends unknown[], R>(
  fn: (...args: A) => Promise<R> | R,
  options: MultiCachedOptions<A> = {},
): MultiCachedFunction<A, Awaited<R>> {
  if (typeof fn !== 'function') throw new TypeError(`multiCached needs a function; got ${describeValue(fn)}`);
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`multiCached() options must be an object; got ${describeValue(options)}`);
  }
  refuseUnknownOptions(options, MULTI_CACHED_OPTION_NAMES, 'multiCached()');
  const keysFrom = options.keysFrom ?? 0;
  if (!Number.isSafeInteger(keysFrom) || keysFrom < 0) {
    throw new RangeError(`keysFrom must be an argument index; got ${describeValue(options.keysFrom)}`);
  }
  if (options.shape !== undefined && !['array', 'map', 'object'].includes(options.shape)) {
    throw new TypeError(`shape must be array, map or object; got ${describeValue(options.shape)}`);
  }
  if (options.key !== undefined && typeof options.key !== 'function') {
    throw new TypeError(`key must be a function of (id, ...args); got ${describeValue(options.key)}`);
  }
  const tags = options.tags;
  if (tags !== undefined && typeof tags !== 'function') checkTags(tags, 'tags');
  const tagged = tags !== undefined && (typeof tags === 'function' || tags.length > 0);
  // Checked now, so a bad ttl fails at wrap time rather than on the first call.
  if (options.ttl !== undefined) parseTtl(options.ttl);
  const ttl = options.ttl;
  const name = functionKeyName(fn);
  const callOptions = options.namespace === undefined ? undefined : { namespace: options.namespace };
  let learnedShape: BatchShape | undefined;

  const cacheNow = (): Cache => resolveCache(options.cache);
  const idsOf = (args: A): unknown[] => {
    const ids = args[keysFrom];
    if (!Array.isArray(ids))
      throw new TypeError(`argument ${keysFrom} must be the array of ids; got ${describeValue(ids)}`);
    return ids;
  };
  const keyFor = (id: unknown, ...args: Partial<A>): string => {
    if (options.key !== undefined) return options.key(id, ...(args as A));
    const rest = args.filter((_, i) => i !== keysFrom);
    return callKey(name, rest.length === 0 ? [id] : [id, rest]);
  };

  // The computation of each id's result in flight in this process, by final key: a call asking
  // for an id another call is computing waits for it instead of computing it again.
  const inflight = new Map<string, Promise<unknown>>();

  const wrapped = function (this: unknown, ...args: A): Promise<Awaited<R>> {
    if (!operationChannel.hasSubscribers) return run(this, args, undefined);
    let keys: string[];
    let cache: Cache;
    try {
      keys = idsOf(args).map((id) => keyFor(id, ...args));
      cache = cacheNow();
    } catch (error) {
      return Promise.reject(error);
    }
    const telemetry = telemetryOfCache.get(cache);
    // A cache-like object of the caller's own has no telemetry: its calls are not traced.
    if (telemetry === undefined) return run(this, args, undefined);
    const ctx = telemetry.context('multiCached', undefined, keys, options.namespace, { function: name });
    return telemetry.trace(ctx, () => run(this, args, ctx));
  };

  // One call; `ctx` (traced calls only) is told what the reads found and whether ids were shared.
  const run = async (self: unknown, args: A, ctx: OperationContext | undefined): Promise<Awaited<R>> => {
    const ids = idsOf(args);
    const keys = ids.map((id) => keyFor(id, ...args));
    const cache = cacheNow();
    let stored: unknown[];
    // Whether a hit came from the backend (a cache with an L1 tells each hit's tier).
    let fromL2 = false;
    try {
      // A traced call's read is larder's own (traced as `internal`): the call is the application's.
      stored =
        ctx === undefined
          ? await cache.multiGet(keys, callOptions)
          : await internally(() =>
              cache[multiGetNoting](keys, callOptions, (_, tier) => {
                if (tier === 'l2') fromL2 = true;
              }),
            );
    } catch (error) {
      if (!isCacheFailure(error)) throw error;
      cache.logger.warn(
        { fn: name, err: error },
        'cache read failed; calling the function with every id (fail open)',
      );
      if (ctx !== undefined) Object.assign(ctx, { hit: false, hits: 0, tier: 'l2' });
      // Answered in the shape every other call answers in, for every id asked.
      const answer = await fn.apply(self, args);
      const answered = shapeOf(answer);
      learnedShape ??= answered;
      const values = valuesFor(answer, ids, answered);
      return reshape(ids, values, options.shape ?? learnedShape) as Awaited<R>;
    }
    let shape = options.shape;
    const values = stored.map((entry) => {
      const unwrapped = unwrapShaped(entry);
      if (unwrapped === undefined) return entry;
      shape ??= unwrapped.shape;
      return unwrapped.value;
    });

    // Each missing id once, even if it was asked twice; those another call computes are awaited.
    const own = new Map<string, unknown>();
    const awaited = new Map<string, Promise<unknown>>();
    keys.forEach((key, i) => {
      if (values[i] !== undefined || own.has(key) || awaited.has(key)) return;
      const finalKey = cache.storedKey(key, callOptions);
      const pending = inflight.get(finalKey);
      if (pending === undefined) own.set(key, ids[i]);
      else awaited.set(key, pending);
    });
    if (ctx !== undefined) {
      const hits = values.reduce((n: number, value) => (value === undefined ? n : n + 1), 0);
      // 'l1' only when the L1 answered every key.
      const tier = hits === keys.length && !fromL2 && cache.l1 !== undefined ? 'l1' : 'l2';
      Object.assign(ctx, { hit: hits === keys.length, hits, tier, shared: awaited.size > 0 });
    }
    const fetched = new Map<string, unknown>();
    if (own.size > 0) {
      const computed = computeOwn(self, cache, args, own);
      const finalKeys = [...own.keys()].map((key) => cache.storedKey(key, callOptions));
      finalKeys.forEach((finalKey, i) => {
        const one = computed.then((answer) => answer.values[i]);
        one.catch(() => undefined);
        inflight.set(finalKey, one);
      });
      try {
        const answer = await computed;
        shape ??= answer.shape;
        [...own.keys()].forEach((key, i) => fetched.set(key, answer.values[i]));
      } finally {
        for (const finalKey of finalKeys) inflight.delete(finalKey);
      }
    }
    for (const [key, pending] of awaited) fetched.set(key, await pending);
    const answer = keys.map((key, i) => (values[i] !== undefined ? values[i] : fetched.get(key)));
    return reshape(ids, answer, shape ?? learnedShape ?? 'array') as Awaited<R>;
  };

  // Calls the function with the ids no call has computed yet, and stores what it answers.
  async function computeOwn(
    self: unknown,
    cache: Cache,
    args: A,
    own: ReadonlyMap<string, unknown>,
  ): Promise<{ shape: BatchShape; values: unknown[] }> {
    const ownIds = [...own.values()];
    const callArgs = [...args] as unknown[] as A;
    callArgs[keysFrom] = ownIds;
    // Tags are read before the function runs, so that an invalidation made meanwhile leaves its
    // results unserved (see docs/tags.md).
    let taken: TagsTaken | undefined;
    let storable = true;
    if (tagged) {
      try {
        taken = await cache[tagWriter]().begin(typeof tags === 'function' ? undefined : tags, name);
      } catch (error) {
        if (!isCacheFailure(error)) throw error;
        cache.logger.warn(
          { fn: name, err: error },
          'cache failed reading tags; returning the results uncached',
        );
        storable = false;
      }
    }
    const answer = await fn.apply(self, callArgs);
    const shape = shapeOf(answer);
    learnedShape ??= shape;
    const values = valuesFor(answer, ownIds, shape);
    const entries: [string, unknown][] = [];
    const entryTags: (readonly string[])[] = [];
    [...own.keys()].forEach((key, i) => {
      const value = values[i];
      if (value !== undefined && options.skipCache?.(value, ownIds[i]) !== true) {
        // Without a fixed shape, the shape is stored with each entry, so that a process whose ids
        // all hit answers in the shape the function answered in.
        entries.push([key, options.shape === undefined ? { [SHAPE_MARK]: shape, value } : value]);
        if (typeof tags === 'function') entryTags.push(tags(value, ownIds[i], ...args));
      }
    });
    if (entries.length > 0 && storable) {
      try {
        const writeOptions = { ...callOptions, ...(ttl === undefined ? {} : { ttl }) };
        // The write is larder's own (traced as `internal`), as the read was.
        await internally(() =>
          taken === undefined
            ? cache.multiSet(entries, writeOptions)
            : cache[tagWriter]().storeMany(
                entries,
                writeOptions,
                taken,
                typeof tags === 'function' ? entryTags : undefined,
              ),
        );
      } catch (error) {
        if (!isCacheFailure(error)) throw error;
        cache.logger.warn({ fn: name, err: error }, 'cache write failed; returning the results uncached');
      }
    }
    return { shape, values };
  }
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  return Object.defineProperties(wrapped, {
    invalidate: {
      value: (...args: A) =>
        cacheNow().multiDelete(
          idsOf(args).map((id) => keyFor(id, ...args)),
          callOptions,
        ),
    },
    keyFor: { value: keyFor },
    cache: { get: cacheNow },
  }) as MultiCachedFunction<A, Awaited<R>>;
}

const MULTI_CACHED_OPTION_NAMES: readonly (keyof MultiCachedOptions)[] = [
  'cache',
  'ttl',
  'namespace',
  'keysFrom',
  'key',
  'skipCache',
  'shape',
  'tags',
];

const SHAPE_MARK = '__larder_shape__';
const SHAPES: readonly string[] = ['array', 'map', 'object'];

// A stored entry with its shape, or undefined for a plain one.
function unwrapShaped(entry: unknown): { shape: BatchShape; value: unknown } | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const shape = (entry as Record<string, unknown>)[SHAPE_MARK];
  if (typeof shape !== 'string' || !SHAPES.includes(shape)) return undefined;
  return { shape: shape as BatchShape, value: (entry as { value: unknown }).value };
}

function shapeOf(answer: unknown): BatchShape {
  if (Array.isArray(answer)) return 'array';
  if (answer instanceof Map) return 'map';
  if (typeof answer === 'object' && answer !== null) return 'object';
  throw new TypeError(
    `a multiCached function must answer with an array, a Map or an object; got ${describeValue(answer)}`,
  );
}

function valuesFor(answer: unknown, ids: readonly unknown[], shape: BatchShape): unknown[] {
  if (shape === 'array') {
    const array = answer as unknown[];
    if (array.length !== ids.length) {
      throw new TypeError(
        `a multiCached function answering with an array must align it with its ${ids.length} ids; got ${array.length} items`,
      );
    }
    return array;
  }
  if (shape === 'map') return ids.map((id) => (answer as Map<unknown, unknown>).get(id));
  return ids.map((id) => (answer as Record<string, unknown>)[String(id)]);
}

function reshape(ids: readonly unknown[], values: readonly unknown[], shape: BatchShape): unknown {
  if (shape === 'array') return values;
  if (shape === 'map') return new Map(ids.map((id, i) => [id, values[i]]));
  return Object.fromEntries(ids.map((id, i) => [String(id), values[i]]));
}
