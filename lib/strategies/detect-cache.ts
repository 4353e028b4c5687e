import { AsyncLocalStorage } from 'node:async_hooks';
import { aliasOf } from '../cache-alias.js';
import type { KeyHandle } from '../backends/backend.js';
import type { Cache } from '../cache.js';
import type { Key } from '../keys.js';
import type { OperationOptions } from '../options.js';
import { describeValue } from '../describe.js';
import { internally } from '../telemetry/internal.js';

/** One read answered from a cache inside {@link detectCache}. */
export interface CacheHit {
  /** The key as stored (with the cache's namespace and version): what `larder keys` lists. */
  readonly key: string;
  /** The `caches` registry alias of the cache, when it was built by the registry. */
  readonly alias?: string;
  /**
   * Where the value came from: `'l2'` is the cache's backend (for a plain memory cache, the
   * memory backend is its only tier, so it reports `'l2'`); `'l1'` is an in-process tier in
   * front of a remote backend.
   */
  readonly tier: 'l1' | 'l2';
  /** Whether a stale result was served (a `cached()` result past its ttl, within `staleTtl`). */
  readonly stale: boolean;
  /**
   * How long the stored entry had left when it was read, in ms, as `cache.ttl()` answers:
   * `Infinity` for no expiry, `undefined` if it could not be read (or had gone meanwhile).
   */
  readonly ttl: number | undefined;
}

/** What {@link detectCache} resolves to. */
export interface DetectedCache<T> {
  /** What the function resolved to. */
  readonly result: T;
  /** The cached reads made inside it, in the order they were answered. */
  readonly hits: CacheHit[];
}

type MutableHit = { -readonly [F in keyof CacheHit]: CacheHit[F] };

interface Scope {
  readonly hits: MutableHit[];
  readonly pending: Promise<unknown>[];
}

const scopes = new AsyncLocalStorage<Scope>();

/**
 * How many {@link detectCache} calls are running. Reads check it before anything else, so with
 * none running a hit pays one comparison and never touches the AsyncLocalStorage.
 * @internal
 */
export let detecting = 0;

/**
 * Runs `fn` and lists every read inside it that was answered from a cache: `get`, `multiGet`,
 * `getOrSet`, `cached()` and `multiCached()` hits (followed through `await`s by `AsyncLocalStorage`). For a web handler, this is
 * how it learns that its answer came from the cache, say for an `x-cache` header. Each hit read
 * inside costs one `ttl` read more; outside, nothing.
 *
 * @returns `{ result, hits }` once `fn` has resolved and each hit's ttl is known; rejects as `fn` does.
 * @throws TypeError if `fn` is not a function.
 * @example
 * ```ts
 * const { result, hits } = await detectCache(() => getUser(id));
 * reply.header('x-cache', hits.length > 0 ? 'HIT' : 'MISS');
 * ```
 */
export async function detectCache<T>(fn: () => T | Promise<T>): Promise<DetectedCache<Awaited<T>>> {
  if (typeof fn !== 'function')
    throw new TypeError(`detectCache() needs a function; got ${describeValue(fn)}`);
  const outer = scopes.getStore();
  const scope: Scope = { hits: [], pending: [] };
  detecting++;
  try {
    const result = await scopes.run(scope, fn);
    await Promise.all(scope.pending);
    // An enclosing detectCache sees what an inner one saw, too.
    if (outer !== undefined) outer.hits.push(...scope.hits);
    return { result, hits: scope.hits.map((hit) => Object.freeze({ ...hit })) };
  } finally {
    detecting--;
  }
}

/**
 * Runs `fn` outside any detectCache: for background work (a refresh) a caller started but whose
 * reads are not the caller's.
 * @internal
 */
export function outsideDetection<T>(fn: () => T): T {
  return detecting === 0 ? fn() : scopes.exit(fn);
}

/**
 * Records a hit of `key` (a stored key) in the running detectCache, if any; `ttl` reads the
 * entry's time left. Only called while {@link detecting} is above 0.
 * @internal
 */
export function noteHit(
  key: string,
  cache: object,
  ttl: () => number | undefined | PromiseLike<number | undefined>,
  tier: 'l1' | 'l2' = 'l2',
): void {
  const scope = scopes.getStore();
  if (scope === undefined) return;
  const hit: MutableHit = { key, tier, stale: false, ttl: undefined };
  const alias = aliasOf(cache);
  if (alias !== undefined) hit.alias = alias;
  scope.hits.push(hit);
  try {
    const left = ttl();
    if (typeof left === 'number' || left === undefined) hit.ttl = left;
    else
      scope.pending.push(
        Promise.resolve(left).then(
          (ms) => (hit.ttl = ms),
          () => undefined,
        ),
      );
  } catch {
    // A ttl that cannot be read stays undefined: the hit itself happened.
  }
}

/**
 * Revises the last hit recorded for `key` by what a read-through made of it: a stale result
 * served (`'stale'`), or an entry it did not serve (`'miss'`: expired, its hits spent).
 * @internal
 */
export function reviseHit(key: string, as: 'stale' | 'miss'): void {
  const hits = scopes.getStore()?.hits;
  if (hits === undefined) return;
  for (let i = hits.length - 1; i >= 0; i--) {
    if (hits[i]!.key !== key) continue;
    if (as === 'stale') hits[i]!.stale = true;
    else hits.splice(i, 1);
    return;
  }
}

/**
 * Records a hit of a cache read (`get`, `getOrSet`) for the running detectCache: its stored key,
 * and a read of its ttl.
 * @internal
 */
export function noteCacheHit(
  cache: Cache<unknown>,
  key: Key,
  options: OperationOptions | undefined,
  tier: 'l1' | 'l2' = 'l2',
): void {
  try {
    const space =
      options === undefined ? undefined : { namespace: options.namespace, version: options.version };
    // The ttl read is larder's own, not a call of the application's (traced as `internal`).
    noteHit(cache.storedKey(key, space), cache, () => internally(() => cache.ttl(key, space)), tier);
  } catch {
    // The read succeeded with this key, so building it again cannot fail; nothing to record if it did.
  }
}

/**
 * Records the hits of a `multiGet` (each key found) for the running detectCache.
 * @returns `values`
 * @internal
 */
export function noteCacheHits<T>(
  cache: Cache<unknown>,
  keys: readonly Key[],
  values: T[],
  options: OperationOptions | undefined,
): T[] {
  values.forEach((value, i) => {
    if (value !== undefined) noteCacheHit(cache, keys[i]!, options);
  });
  return values;
}

/**
 * Records a hit a read-through answered on the spot: `target` is a remembered final key's handle
 * (a backend that peeks, whose ttl answers on the spot too) or a caller's key.
 * @internal
 */
export function noteHitNow(cache: Cache<unknown>, target: KeyHandle | string): void {
  // A cache with an L1 reads on the spot from its L1 only (see Cache[readNow]).
  const tier = cache.l1 === undefined ? 'l2' : 'l1';
  if (typeof target === 'string') {
    noteCacheHit(cache, target, undefined, tier);
    return;
  }
  if (tier === 'l1') {
    // The handle holds the stored key; its ttl is the remote backend's to tell.
    noteHit(target.key, cache, () => cache.backend.ttl(target.key), tier);
    return;
  }
  noteHit(target.key, cache, () => {
    const left = cache.backend.ttl?.(target.key);
    return left instanceof Promise ? undefined : (left as number | undefined);
  });
}
