// The read of a read-through call (getOrSet, cached()), and what a traced call is told it found.
import type { Cache } from './cache.js';
import type { OperationOptions, WriteOptions } from './options.js';
import { getNoting } from './read-now.js';
import { prefetchedTags, readBeside } from './tags/read-through-tags.js';
import type { OperationContext } from './telemetry/channels.js';

/**
 * The entry of `key`, with its fixed tags read beside it on a remote backend; a traced call
 * (`ctx`) is told the tier that answered.
 */
export function readEntry(
  cache: Cache<unknown>,
  key: string,
  options: WriteOptions | undefined,
  ctx: OperationContext | undefined,
): Promise<unknown> {
  const tags = prefetchedTags(cache, options);
  if (tags !== undefined) {
    const noted = ctx === undefined ? undefined : (tier: 'l1' | 'l2') => (ctx.tier = tier);
    return readBeside(cache, key, readOptions(options), tags, noted);
  }
  if (ctx === undefined) return cache.get(key, readOptions(options));
  return cache[getNoting](key, readOptions(options), (tier) => (ctx.tier = tier));
}

/** What a traced read-through call found: a hit (perhaps stale), or a computation of its own or shared. */
export function found(ctx: OperationContext, hit: boolean, stale: boolean, shared: boolean): void {
  ctx.hit = hit;
  // A hit from a cache with an L1 was told its tier by the read; any other answer is the backend's.
  ctx.tier ??= 'l2';
  ctx.stale = stale;
  ctx.shared = shared;
}

/**
 * The read of a read-through takes the key space of its writes, not their ttl (or jitter);
 * undefined when there is nothing to pass, so the read keeps the cache's no-options fast path.
 */
export function readOptions(options: WriteOptions | undefined): OperationOptions | undefined {
  if (options === undefined || (options.ttl === undefined && options.jitter === undefined)) return options;
  const { ttl: _ttl, jitter: _jitter, ...rest } = options;
  return rest;
}
