// What a read-through serves when its function throws (staleIfError): the stale entry its read
// found, or else the one the L1 kept. An L1 keeps the entries a write elsewhere or a gap expired
// (see L1Store.kept), so a read-through whose read gave it nothing to fall back on (Redis down,
// or the entry gone from it) can still serve one. A read-through holds the Cache, and the L1 lives
// in the cache's core, which the Cache keeps private: each L1 is registered here under its cache's
// telemetry, the per-cache object the read-throughs can already reach (telemetryOfCache).
import type { Cache } from './cache.js';
import type { OperationOptions } from './options.js';
import type { ReadThroughPolicy } from './read-through-policy.js';
import { detecting, noteHit, reviseHit } from './strategies/detect-cache.js';
import { asStaleEntry, type StaleEntry } from './stored-entry.js';
import { telemetryOfCache } from './telemetry/cache-telemetry.js';
import type { OperationContext } from './telemetry/channels.js';
import type { L1Store } from './tiers/l1-store.js';

/** A computation's fallback when its read gave none: the entry the L1 kept, looked up only if it throws. */
export const FROM_L1: unique symbol = Symbol('larder.fromL1');

/** What a computation serves if it throws: a stale entry its read found, the L1's ({@link FROM_L1}), or nothing. */
export type Fallback<R> = StaleEntry<R> | typeof FROM_L1 | undefined;

const stores = new WeakMap<object, L1Store>();

/** Makes `store` the L1 of the cache whose telemetry is `telemetry`. @internal */
export function keepsFor(telemetry: object, store: L1Store): void {
  stores.set(telemetry, store);
}

/**
 * What a computation of `key` that threw `error` answers: its fallback's stale result (with
 * {@link FROM_L1}, the entry the L1 kept, if within `staleIfError` of its freshness), logged as
 * an error; else it throws `error`.
 *
 * @param options - the key space of the read-through's reads.
 */
export function servedStale<R>(
  error: unknown,
  cache: Cache<unknown>,
  key: string,
  options: OperationOptions | undefined,
  fallback: Fallback<R>,
  policy: ReadThroughPolicy<R>,
  ctx: OperationContext | undefined,
): R {
  const stale =
    fallback !== FROM_L1
      ? fallback
      : policy.staleIfErrorMs > 0
        ? staleInL1<R>(cache, key, options, policy, ctx)
        : undefined;
  if (stale === undefined) throw error;
  cache.logger.error(
    { key, fn: policy.name, err: error },
    'the function failed; serving the stale result (staleIfError)',
  );
  if (ctx !== undefined) ctx.stale = true;
  return stale.value;
}

// The stale result the L1 holds for `key`, fresh or expired (never past its life), if it is
// within staleIfError of its freshness. It is served as a stale L1 hit: a traced call's context
// says tier 'l1', and a running detectCache records it.
function staleInL1<R>(
  cache: Cache<unknown>,
  key: string,
  options: OperationOptions | undefined,
  policy: ReadThroughPolicy<R>,
  ctx: OperationContext | undefined,
): StaleEntry<R> | undefined {
  const telemetry = telemetryOfCache.get(cache);
  const store = telemetry === undefined ? undefined : stores.get(telemetry);
  if (store === undefined) return undefined;
  let storedKey: string;
  try {
    storedKey = cache.storedKey(key, options);
  } catch {
    return undefined;
  }
  const entry = asStaleEntry<R>(store.kept(storedKey));
  if (entry === undefined || policy.clock.now() >= entry.freshUntil + policy.staleIfErrorMs) return undefined;
  if (ctx !== undefined) ctx.tier = 'l1';
  if (detecting !== 0) {
    // No read recorded a hit (the L1 missed; the L2 failed or missed): this is one, and stale.
    noteHit(storedKey, cache, () => undefined, 'l1');
    reviseHit(storedKey, 'stale');
  }
  return entry;
}
