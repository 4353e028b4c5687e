// The read-through engine's part in tags (lib/read-through.ts calls in only when a read-through
// has tags): read them beside the entry, take them before the computation, store with them.
import type { Cache } from '../cache.js';
import { isCacheFailure } from '../errors.js';
import type { OperationOptions, WriteOptions } from '../options.js';
import type { Tier } from '../plugins/plugin.js';
import { getNoting } from '../read-now.js';
import { detecting, noteCacheHit } from '../strategies/detect-cache.js';
import { tagWriter, tagsOfResult, type TaggingOptions } from './tag-door.js';
import type { TagsTaken } from './tagged-operations.js';

/**
 * Stands for tags not known before the read, of a read-through whose results are all tagged (a
 * tags function): {@link readBeside} then reads the entry with whatever tags it names.
 */
const EXPECTED_TAGS: readonly string[] = Object.freeze([]);

/**
 * The tags a read-through's read takes along, if it has any worth reading beside its entry: its
 * fixed tags, or {@link EXPECTED_TAGS} for a tags function where the backend reads an entry's own
 * tags with it (`getWithTags`).
 */
export function prefetchedTags(
  cache: Cache<unknown>,
  options: WriteOptions | undefined,
): readonly string[] | undefined {
  const tagging = options as TaggingOptions | undefined;
  const tags = tagging?.tags;
  if (tags !== undefined && tags.length > 0) return cache[tagWriter]().prefetches ? tags : undefined;
  return tagging?.[tagsOfResult] !== undefined && cache[tagWriter]().readsWithTags
    ? EXPECTED_TAGS
    : undefined;
}

/**
 * The entry and its tags read together; a hit noted for detectCache, as get notes its own. A
 * cache with an L1 reads through it instead: the L1 holds tagged entries and their tags' tokens,
 * so a hit there costs no round trip (`noted` is told its tier, as get tells it).
 */
export function readBeside(
  cache: Cache<unknown>,
  key: string,
  options: OperationOptions | undefined,
  tags: readonly string[],
  noted?: (tier: Tier) => void,
): Promise<unknown> {
  if (cache.l1 !== undefined) {
    return noted === undefined ? cache.get(key, options) : cache[getNoting](key, options, noted);
  }
  const read =
    tags === EXPECTED_TAGS
      ? cache[tagWriter]().readExpected(key, options)
      : cache[tagWriter]().read(key, options, tags);
  if (detecting === 0) return read;
  return read.then((stored) => {
    if (stored !== undefined) noteCacheHit(cache, key, options);
    return stored;
  });
}

/** What a computation's result is to be stored with: nothing to take, taken, or unavailable. */
export type TagsBefore = { readonly taken: TagsTaken | undefined } | { readonly failed: unknown };

/**
 * Takes the read-through's tags (or the namespace's marker, for tags made from the result) before
 * its computation starts, so that an invalidation made while it runs leaves its result unserved.
 *
 * @param passesBy - whether a cache failure is passed by (fail open); else it is thrown.
 */
export function tagsBefore(
  cache: Cache<unknown>,
  key: string,
  options: WriteOptions | undefined,
  passesBy: (error: unknown) => boolean,
): TagsBefore | Promise<TagsBefore> {
  const fixed = (options as TaggingOptions | undefined)?.tags;
  const tagsOf = (options as TaggingOptions | undefined)?.[tagsOfResult];
  // Untagged: answered at once, so an untagged computation starts without waiting a tick.
  if (tagsOf === undefined && (fixed === undefined || fixed.length === 0)) return NOTHING;
  return cache[tagWriter]()
    .begin(tagsOf === undefined ? fixed : undefined, key)
    .then(
      (taken): TagsBefore => ({ taken }),
      (error: unknown): TagsBefore => {
        if (!(passesBy(error) || (cache.safe && isCacheFailure(error)))) throw error;
        return { failed: error };
      },
    );
}

/** Stores a computed result: with the tags taken before, or as a plain write. */
export function storeResult(
  cache: Cache<unknown>,
  key: string,
  value: unknown,
  writeOptions: WriteOptions | undefined,
  taken: TagsTaken | undefined,
  result: unknown,
): Promise<boolean> {
  if (taken === undefined) return cache.set(key, value, writeOptions);
  const tagsOf = (writeOptions as TaggingOptions | undefined)?.[tagsOfResult];
  return cache[tagWriter]().store(key, value, writeOptions, taken, tagsOf?.(result));
}

const NOTHING: TagsBefore = Object.freeze({ taken: undefined });
