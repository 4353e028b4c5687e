// Cache's reads off get's direct path: get through the runner (or the L1), the read on the spot the
// read-throughs share, getOrSet's hit answered without its engine, the reads that tell which tier
// answered, and the decode of a stored payload as the runner would answer its failure. Cache
// (lib/cache.ts) is their public face; its hot get and set stay there, where their fields are.
import { threw } from './backend-port.js';
import type { KeyHandle } from './backends/backend.js';
import type { Cache } from './cache.js';
import type { CacheCore } from './cache-core.js';
import type { Key } from './keys.js';
import * as operations from './operations.js';
import { ownKeySpace, type GetOptions, type OperationOptions, type WriteOptions } from './options.js';
import type { Tier } from './plugins/plugin.js';
import { isNativePromise, isPending } from './promise.js';
import { LATER } from './read-now.js';
import { detecting, noteCacheHit, noteCacheHits } from './strategies/detect-cache.js';
import { hasTagMark, isTaggedObject, taggedOf, type TaggedPayload } from './tags/tagged-payload.js';
import { getExpected } from './tags/tagged-reads.js';
import * as tagged from './tags/tagged-operations.js';
import { operationChannel } from './telemetry/channels.js';

// What a read answers, for the reads that note hits, when a tagged entry's tags were invalidated.
const MISSED: unique symbol = Symbol('missed');

/**
 * get without the runner, where no plugin observes it and it works in the cache's own key space:
 * no hooks, no tracing, and no timer when the backend answers at once. It answers as the runner
 * would, failures included.
 */
export function getDirect<V, D>(
  core: CacheCore<V>,
  cache: Cache<V>,
  key: Key,
  fallback: D | undefined,
): Promise<V | D | undefined> {
  const { backend, keys, runner, synchronous } = core;
  const peeks = core.paths.peeks;
  // Two steps, so that what the key throws stays the caller's mistake and what the backend throws
  // is its failure, without the port's extra call.
  let finalKey: string | KeyHandle;
  try {
    finalKey = peeks ? keys.handle(key)! : synchronous ? keys.readKey(key) : keys.finalKey(key);
  } catch (error) {
    return Promise.reject(error);
  }
  const taggedKeys = core.taggedKeys;
  if (taggedKeys?.expects(finalKey as string))
    return getTagged(core, cache, finalKey as string, key, fallback);
  let answer: unknown;
  try {
    answer = peeks ? backend.peek!(finalKey as KeyHandle) : backend.get(finalKey as string);
  } catch (error) {
    return runner.failed('get', key, threw(error), fallback, false);
  }
  // What peek answers is a value by contract, never a pending answer.
  if (peeks || !isPending(answer, synchronous)) {
    if (answer === undefined) return Promise.resolve(fallback);
    try {
      return Promise.resolve(
        detecting === 0
          ? decodeOrRecover(core, answer, key, fallback)
          : decodeNoting(core, cache, answer, key, fallback),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return runner.timed(answer, 'get', key).then(
    (payload) => {
      if (payload === undefined) return fallback;
      // Its next get reads it with its tags (see TaggedKeys).
      if (taggedKeys !== undefined && payload instanceof Uint8Array && hasTagMark(payload)) {
        taggedKeys.note(finalKey as string, true);
      }
      if (detecting === 0) return decodeOrRecover(core, payload, key, fallback);
      return decodeNoting(core, cache, payload, key, fallback);
    },
    (error: unknown) => runner.recover('get', key, error, fallback, undefined, true),
  );
}

// get of a key whose last get found a tagged entry: the entry and its tags in one round trip.
function getTagged<V, D>(
  core: CacheCore<V>,
  cache: Cache<V>,
  finalKey: string,
  key: Key,
  fallback: D | undefined,
): Promise<V | D | undefined> {
  if (detecting === 0) return getExpected(core, core.taggedKeys!, finalKey, key, fallback);
  return getExpected<V, typeof MISSED>(core, core.taggedKeys!, finalKey, key, MISSED).then((value) => {
    if (value === MISSED) return fallback;
    noteCacheHit(cache as Cache<unknown>, key, undefined);
    return value;
  });
}

/** get through the L1 when the cache has one, else through the runner (hooks, tracing, options). */
export function runGet<V, D>(
  core: CacheCore<V>,
  cache: Cache<V>,
  key: Key,
  options: GetOptions<D> | undefined,
): Promise<V | D | undefined> {
  const tier = core.tier;
  if (tier !== undefined && !core.runner.closed) {
    if (detecting === 0) return tier.get(key, options);
    return tier.get(key, options, (from) => noteCacheHit(cache as Cache<unknown>, key, options, from));
  }
  const read = core.run('get', key, options, undefined, () => {
    const answer = core.port.get(core.keys.finalKey(key, options));
    return core.then(answer, (payload) => {
      if (payload === undefined) return undefined;
      const value = tagged.decodeStored(core, payload, key);
      if (detecting === 0) return value;
      // Only a hit is noted: a tagged entry whose tags were invalidated is a miss.
      return core.then(value, (found) => {
        if (found !== undefined) noteCacheHit(cache as Cache<unknown>, key, options);
        return found;
      });
    }) as V | undefined | PromiseLike<V | undefined>;
  });
  // Only a caller that gave a default pays for applying it.
  return options?.default === undefined
    ? read
    : read.then((value) => (value === undefined ? options.default : value));
}

/**
 * The value read on the spot, or {@link LATER} when only `get` can answer (see Cache[readNow]).
 * The target is a final key's handle (read with `peek`), or a caller's key in the cache's own key
 * space (read with a synchronous `get`).
 */
export function readOnTheSpot<V>(
  core: CacheCore<V>,
  target: KeyHandle | string,
): V | undefined | typeof LATER {
  if (core.runner.closed) return LATER;
  const { paths, tier } = core;
  try {
    if (typeof target === 'string') {
      if (!paths.getsNow) return tier === undefined ? LATER : tier.now(target);
      const payload = core.backend.get(core.keys.readKey(target));
      if (isNativePromise(payload)) {
        payload.then(undefined, () => undefined);
        return LATER;
      }
      if (payload === undefined) return undefined;
      // A tagged entry's tags are read by get, which may need the backend.
      return taggedOf(payload, core.tagObjects) === undefined ? core.codec.decode(payload, target) : LATER;
    }
    if (!paths.readsNow) return tier === undefined ? LATER : tier.now(target);
    // What peek answers is a value by contract (larder/testing checks it), never a promise.
    const payload = core.backend.peek!(target);
    if (payload === undefined) return undefined;
    return taggedOf(payload, core.tagObjects) === undefined ? core.codec.decode(payload, target.key) : LATER;
  } catch {
    return LATER;
  }
}

/**
 * getOrSet's hit answered without the engine: one read, get's own, where nothing observes it; only
 * a miss goes to the engine, which computes without a second read. `undefined` when the call must
 * take the full path (options of another key space, hooks, tracing, a closed cache, or a synchronous
 * read that did not hit: the full path reports a bad key or a failure).
 */
export function getOrSetDirect<V>(
  core: CacheCore<V>,
  cache: Cache<V>,
  key: Key,
  factory: () => V | Promise<V>,
  options: WriteOptions | undefined,
): Promise<V> | undefined {
  if (
    !core.paths.readsThrough ||
    typeof factory !== 'function' ||
    // With tags on a remote backend, the engine reads them beside the entry (one round trip).
    (options !== undefined && !(ownKeySpace(options) && (core.synchronous || options.tags === undefined))) ||
    core.runner.closed ||
    operationChannel.hasSubscribers
  ) {
    return undefined;
  }
  if (!core.synchronous) {
    const hit = core.tier?.hit(key);
    if (hit !== undefined) return Promise.resolve(hit);
    return cache
      .get(key)
      .then((value) =>
        value !== undefined
          ? value
          : operations.getOrSet(core, cache as Cache<unknown>, key, factory, options, true),
      ) as Promise<V>;
  }
  // A hit read on the spot, as the read-throughs read one, needs neither the runner nor the engine.
  let target: KeyHandle | string | undefined;
  try {
    target = core.paths.peeks ? core.keys.handle(key) : typeof key === 'string' ? key : undefined;
  } catch {
    target = undefined;
  }
  const now = target === undefined ? LATER : readOnTheSpot(core, target);
  if (now === undefined || now === LATER) return undefined;
  if (detecting !== 0) noteCacheHit(cache as Cache<unknown>, key, undefined);
  return Promise.resolve(now);
}

/** multiGet: through the L1 per key when the cache has one, else through the runner. */
export function multiGetOf<V>(
  core: CacheCore<V>,
  cache: Cache<V>,
  keys: readonly Key[],
  options: OperationOptions | undefined,
): Promise<(V | undefined)[]> {
  const tier = core.tier;
  if (tier !== undefined && !core.runner.closed) {
    if (detecting === 0) return tier.multiGet(keys, options);
    return tier.multiGet(keys, options, (index, from) =>
      noteCacheHit(cache as Cache<unknown>, keys[index]!, options, from),
    );
  }
  const read = operations.multiGet(core, keys, options);
  if (detecting === 0) return read;
  return read.then((values) => noteCacheHits(cache as Cache<unknown>, keys, values, options));
}

/** get, telling `noted` the tier of a hit when the cache has an L1 (see Cache[getNoting]). */
export function getNotingOf<V>(
  core: CacheCore<V>,
  cache: Cache<V>,
  key: Key,
  options: GetOptions | undefined,
  noted: (tier: Tier) => void,
): Promise<V | undefined> {
  const tier = core.tier;
  if (tier === undefined || core.runner.closed) return cache.get(key, options);
  return tier.get(key, options, (from) => {
    if (detecting !== 0) noteCacheHit(cache as Cache<unknown>, key, options, from);
    noted(from);
  });
}

/** multiGet, telling `noted` the tier of each hit when the cache has an L1. */
export function multiGetNotingOf<V>(
  core: CacheCore<V>,
  cache: Cache<V>,
  keys: readonly Key[],
  options: OperationOptions | undefined,
  noted: (index: number, tier: Tier) => void,
): Promise<(V | undefined)[]> {
  const tier = core.tier;
  if (tier === undefined || core.runner.closed) return cache.multiGet(keys, options);
  return tier.multiGet(keys, options, (index, from) => {
    if (detecting !== 0) noteCacheHit(cache as Cache<unknown>, keys[index]!, options, from);
    noted(index, from);
  });
}

/**
 * The value of a tagged entry a pass-through store holds, read on the spot: the value itself if
 * its tags are current, else `fallback`; a failure is answered as the runner would answer it.
 */
export function taggedValueNow<V, D>(
  core: CacheCore<V>,
  cache: Cache<V>,
  entry: TaggedPayload,
  key: Key,
  fallback: D,
): V | D | Promise<V | D> {
  try {
    if (core.tags.isCurrent(entry) !== true) return fallback;
    // Only a hit is noted: a tagged entry whose tags were invalidated is a miss.
    if (detecting !== 0) noteCacheHit(cache as Cache<unknown>, key, undefined);
    return entry.payload as V;
  } catch (error) {
    return core.runner.recover('get', key, error, fallback, undefined, false);
  }
}

/** {@link decodeOrRecover}, noting a hit for detectCache unless the entry turns out to be missing. */
function decodeNoting<V, D>(
  core: CacheCore<V>,
  cache: Cache<V>,
  payload: unknown,
  key: Key,
  fallback: D,
): V | D | Promise<V | D> {
  const noted = (value: V | typeof MISSED): V | D => {
    if (value === MISSED) return fallback;
    noteCacheHit(cache as Cache<unknown>, key, undefined);
    return value;
  };
  const value = decodeOrRecover<V, typeof MISSED>(core, payload, key, MISSED);
  return isNativePromise(value) ? value.then(noted) : noted(value);
}

/**
 * A direct path's decode, whose failure must be answered as the runner would answer it. A tagged
 * entry (a wrapper object, or bytes that start with its mark) has its tags read first.
 */
export function decodeOrRecover<V, D>(
  core: CacheCore<V>,
  payload: unknown,
  key: unknown,
  fallback: D,
): V | D | Promise<V | D> {
  if (core.tagObjects ? isTaggedObject(payload) : payload instanceof Uint8Array) {
    const entry = taggedOf(payload, core.tagObjects);
    if (entry !== undefined && !core.synchronous) return tagged.readTagged(core, entry, key, fallback);
    // On a backend that answers at once, the tags are read at once too: no promise of their own.
    if (entry !== undefined) {
      try {
        return core.tags.isCurrent(entry) === true ? core.codec.decode(entry.payload, key) : fallback;
      } catch (error) {
        return core.runner.recover('get', key, error, fallback, undefined, false);
      }
    }
  }
  try {
    return core.codec.decode(payload, key);
  } catch (error) {
    return core.runner.recover('get', key, error, fallback, undefined, false);
  }
}
