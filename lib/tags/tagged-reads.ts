// Reads that find tagged entries without paying for untagged ones: exists and ttl look at an
// entry's first bytes before reading it (the backend's stat), and a read that expects a tagged
// entry gets it with its tags' tokens in one step (the backend's getWithTags).
import type { CacheCore } from '../cache-core.js';
import { TAG_MARK_LENGTH, hasTagMark, taggedOf } from './tagged-payload.js';

/** A backend's answer, or what a function made of it: at once for a value, later for a promise. */
type Answer<T> = T | PromiseLike<T>;

// core.then, typed for these reads (see tagged-operations.ts).
function chain<V, A, B>(core: CacheCore<V>, answer: Answer<A>, then: (value: A) => Answer<B>): Answer<B> {
  return core.then(answer, then) as Answer<B>;
}

/**
 * exists: a tagged entry whose tags were invalidated is not there. A backend with `stat` answers
 * with the entry's first bytes only, and only an entry they mark as tagged is read whole (with its
 * tags in the same step where the backend has `getWithTags`); without it the entry is read
 * (EXISTS cannot tell a tagged entry).
 */
export function existsChecked<V>(core: CacheCore<V>, finalKey: string): Answer<boolean> {
  // A store of objects marks a tagged entry by its wrapper, which no first bytes can show.
  if (!core.capabilities.stat || core.tagObjects) return existsRead(core, finalKey);
  return chain(core, core.port.call('stat', finalKey, TAG_MARK_LENGTH), (found) => {
    if (found === undefined) return false;
    if (!hasTagMark(found.head)) return true;
    if (!core.capabilities.getWithTags) return existsRead(core, finalKey);
    return chain(core, checkedWithTags(core, finalKey), (current) => current !== undefined);
  });
}

function existsRead<V>(core: CacheCore<V>, finalKey: string): Answer<boolean> {
  return chain(core, core.port.call('get', finalKey), (stored) => {
    if (stored === undefined) return false;
    const entry = taggedOf(stored, core.tagObjects);
    return entry === undefined ? true : core.tags.isCurrent(entry);
  });
}

/**
 * ttl: a tagged entry whose tags were invalidated is missing. With `stat`, as exists (the ttl
 * answered is the one `stat` read); without it, the entry and its ttl are read together.
 */
export function ttlChecked<V>(core: CacheCore<V>, finalKey: string): Answer<number | undefined> {
  if (!core.capabilities.stat || core.tagObjects) return ttlRead(core, finalKey);
  return chain(core, core.port.call('stat', finalKey, TAG_MARK_LENGTH), (found) => {
    if (found === undefined) return undefined;
    if (!hasTagMark(found.head)) return found.ttlMs;
    if (!core.capabilities.getWithTags) return ttlRead(core, finalKey);
    return chain(core, checkedWithTags(core, finalKey), (current) =>
      current === undefined ? undefined : found.ttlMs,
    );
  });
}

// Both reads leave together: one round trip.
function ttlRead<V>(core: CacheCore<V>, finalKey: string): Answer<number | undefined> {
  const stored = core.port.call('get', finalKey);
  const left = core.port.call('ttl', finalKey);
  return chain(core, stored, (payload) =>
    chain(core, left, (ms) => {
      if (payload === undefined || ms === undefined) return undefined;
      const entry = taggedOf(payload, core.tagObjects);
      if (entry === undefined) return ms;
      return chain(core, core.tags.isCurrent(entry), (current) => (current ? ms : undefined));
    }),
  );
}

/**
 * The value of `finalKey`, read with `getWithTags` (see {@link checkedWithTags}).
 *
 * @param seen - told whether the entry was tagged (a get's memo, see {@link TaggedKeys}).
 */
export function readExpectingTags<V>(
  core: CacheCore<V>,
  finalKey: string,
  key: unknown,
  seen?: TaggedKeys,
): Answer<V | undefined> {
  return chain(core, checkedWithTags(core, finalKey, seen), (current) =>
    current === undefined ? undefined : core.codec.decode(current.payload, key),
  );
}

/**
 * What `finalKey` holds, read with `getWithTags`: its serializer's payload (`{ payload }`), or
 * `undefined` if it is missing or a tagged entry whose tags were invalidated. A tagged entry comes
 * with its tags' tokens, read at the same moment, and is current if every one is the token it was
 * written with. If one differs or was not read (a Cluster, where the tag keys are in another
 * slot), the tags are read again as get reads them: a false miss costs a round trip, never a
 * wrong answer.
 */
function checkedWithTags<V>(
  core: CacheCore<V>,
  finalKey: string,
  seen?: TaggedKeys,
): Answer<{ payload: unknown } | undefined> {
  return chain(core, core.port.call('getWithTags', finalKey), (found) => {
    if (found === undefined) {
      seen?.note(finalKey, false);
      return undefined;
    }
    const entry = taggedOf(found.value, core.tagObjects);
    seen?.note(finalKey, entry !== undefined);
    if (entry === undefined) return { payload: found.value };
    const read = found.tagValues;
    const current =
      read !== undefined &&
      read.length === entry.keys.length &&
      entry.tokens.every((token, i) => tokenOf(read[i]) === token);
    if (current) return entry;
    return chain(core, core.tags.isCurrent(entry), (fresh) => (fresh ? entry : undefined));
  });
}

// A tag key's payload as a token (text, however the backend answers it).
function tokenOf(stored: unknown): string | undefined {
  if (typeof stored === 'string') return stored;
  if (stored instanceof Uint8Array)
    return Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString();
  return undefined;
}

/** How many keys {@link TaggedKeys} remembers: the hot ones, at a few dozen bytes each. */
const TAGGED_KEYS_LIMIT = 4_096;

/**
 * The final keys whose last get found a tagged entry, so that their next get reads the entry with
 * its tags (`getWithTags`: one round trip on Redis) where a plain get would read it, then its tags
 * (two). A plain get cannot know beforehand whether an entry is tagged, and reading every entry
 * with the script would tax untagged gets (see docs/tags.md), so it learns per key: the first get
 * of a tagged key in a process costs two round trips, the next ones one. A key that is no longer
 * tagged is forgotten at its next read, which was one script in place of a GET. The oldest key is
 * forgotten first once the limit is reached. While no tagged entry was read, {@link expects}
 * reads one number.
 */
export class TaggedKeys {
  readonly #keys = new Set<string>();

  /** Whether the last get of `finalKey` found a tagged entry. */
  expects(finalKey: string): boolean {
    return this.#keys.size !== 0 && this.#keys.has(finalKey);
  }

  /** Notes what a get of `finalKey` found: a tagged entry or not. */
  note(finalKey: string, tagged: boolean): void {
    if (!tagged) {
      this.#keys.delete(finalKey);
      return;
    }
    if (this.#keys.has(finalKey)) return;
    if (this.#keys.size >= TAGGED_KEYS_LIMIT) this.#keys.delete(this.#keys.values().next().value!);
    this.#keys.add(finalKey);
  }
}

/**
 * get's answer for a key whose last get found a tagged entry (see {@link TaggedKeys}): the entry
 * and its tags read in one step; a failure answered as get's fast path answers its own.
 */
export function getExpected<V, D>(
  core: CacheCore<V>,
  seen: TaggedKeys,
  finalKey: string,
  key: unknown,
  fallback: D,
): Promise<V | D> {
  const runner = core.runner;
  let answer: Answer<V | undefined>;
  try {
    answer = readExpectingTags(core, finalKey, key, seen);
  } catch (error) {
    return runner.failed('get', key, error, fallback, false);
  }
  return runner.timed(Promise.resolve(answer), 'get', key).then(
    (value) => (value === undefined ? fallback : value),
    (error: unknown) => runner.recover('get', key, error, fallback, undefined, true),
  );
}
