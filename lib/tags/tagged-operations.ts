// The cache operations with tags: tagged writes, reads that check a tagged entry's tags, and
// invalidateTags. Untagged entries never reach this file's checks (lib/cache.ts and
// lib/operations.ts call in only for a tagged payload or a write that names tags).
import { BackendThrew } from '../backend-port.js';
import type { CacheCore } from '../cache-core.js';
import { BackendError, LarderError } from '../errors.js';
import type { Key } from '../keys.js';
import type { OperationOptions, WriteOptions } from '../options.js';
import type { TagSnapshot } from './tag-space.js';
import { readExpectingTags } from './tagged-reads.js';
import { taggedOf, wrapPayload, type TaggedPayload } from './tagged-payload.js';

/** A backend's answer, or what a function made of it: at once for a value, later for a promise. */
type Answer<T> = T | PromiseLike<T>;

// core.then for a function that may itself answer later: a promise's then flattens it, and a
// value's answer is passed on as it is, so the result is one level deep whatever TypeScript sees.
function chain<V, A, B>(core: CacheCore<V>, answer: Answer<A>, then: (value: A) => Answer<B>): Answer<B> {
  return core.then(answer, then) as Answer<B>;
}

/** The tagged entry a stored payload is, for this cache (see taggedOf). */
export function taggedEntry<V>(core: CacheCore<V>, stored: unknown): TaggedPayload | undefined {
  return taggedOf(stored, core.tagObjects);
}

/** The value of a stored payload, `undefined` if it is a tagged entry whose tags were invalidated. */
export function decodeStored<V>(core: CacheCore<V>, stored: unknown, key: unknown): Answer<V | undefined> {
  const entry = taggedOf(stored, core.tagObjects);
  if (entry === undefined) return core.codec.decode(stored, key);
  return chain(core, core.tags.isCurrent(entry), (current) =>
    current ? core.codec.decode(entry.payload, key) : undefined,
  );
}

/**
 * get's answer for a tagged entry read on its fast path: the value if its tags are current, else
 * `fallback`; a failure answered as the runner answers get's.
 */
export function readTagged<V, D>(
  core: CacheCore<V>,
  entry: TaggedPayload,
  key: unknown,
  fallback: D,
): Promise<V | D> {
  const runner = core.runner;
  try {
    const current = core.tags.isCurrent(entry);
    if (typeof current === 'boolean') {
      return Promise.resolve(current ? core.codec.decode(entry.payload, key) : fallback);
    }
    return runner.timed(current, 'get', key).then(
      (fresh) => (fresh ? core.codec.decode(entry.payload, key) : fallback),
      (error: unknown) => runner.recover('get', key, error, fallback, undefined, true),
    );
  } catch (error) {
    return runner.failed('get', key, error, fallback, false);
  }
}

/** multiGet's values of the payloads read, tagged entries checked with one more read. */
export function decodeMany<V>(
  core: CacheCore<V>,
  payloads: readonly unknown[],
  keys: readonly unknown[],
): Answer<(V | undefined)[]> {
  const tagged: { index: number; entry: TaggedPayload }[] = [];
  const values = payloads.map((payload, i) => {
    if (payload === undefined) return undefined;
    const entry = taggedOf(payload, core.tagObjects);
    if (entry === undefined) return core.codec.decode(payload, keys[i]);
    tagged.push({ index: i, entry });
    return undefined;
  });
  if (tagged.length === 0) return values;
  return chain(core, core.tags.areCurrent(tagged.map(({ entry }) => entry)), (current) => {
    tagged.forEach(({ index, entry }, i) => {
      if (current[i]) values[index] = core.codec.decode(entry.payload, keys[index]);
    });
    return values;
  });
}

/** set and add when `options.tags` names tags: the tags' tokens read, then one write. */
export function writeTagged<V>(
  core: CacheCore<V>,
  pairs: readonly (readonly [unknown, V])[],
  options: WriteOptions,
  write: (encoded: (readonly [string, unknown])[], ttlMs: number) => Answer<boolean>,
): () => Answer<boolean> {
  return () => {
    const ttlMs = core.ttlOf(options);
    const keys = core.tags.keysOf(options.tags);
    // Everything the caller could get wrong is checked before the first command.
    const encoded = pairs.map(
      ([key, value]) => [core.keys.finalKey(key, options), core.codec.encode(value, key)] as const,
    );
    if (keys.length === 0) return write(encoded, ttlMs);
    return chain(core, core.tags.snapshot(keys), (snapshot) =>
      write(
        encoded.map(([finalKey, payload]) => [finalKey, wrap(core, payload, snapshot)] as const),
        ttlMs,
      ),
    );
  };
}

/** set with `options.tags`: the tags' tokens read, then the wrapped entry written. */
export function set<V>(core: CacheCore<V>, key: Key, value: V, options: WriteOptions): Promise<boolean> {
  return core.run(
    'set',
    key,
    options,
    false,
    writeTagged(core, [[key, value]], options, (encoded, ttlMs) =>
      core.then(core.port.set(encoded[0]![0], encoded[0]![1], ttlMs), () => {
        core.tier?.written('set', [encoded[0]![0]], options);
        return true;
      }),
    ),
  );
}

/**
 * invalidateTags: one write giving each tag (and the namespace's marker) a new token.
 *
 * @returns the number of tags given.
 */
export function invalidateTags<V>(
  core: CacheCore<V>,
  tags: readonly string[],
  options: OperationOptions | undefined,
): Promise<number> {
  return core.runner.run({
    op: 'invalidateTags',
    keys: Array.isArray(tags) ? tags : undefined,
    options,
    fallback: 0,
    work: () => {
      const keys = core.tags.keysOf(tags);
      if (options?.namespace !== undefined || options?.version !== undefined) {
        throw new TypeError(
          'invalidateTags works on the tags of the cache’s own namespace; it takes no namespace or version option',
        );
      }
      const given = tags.length;
      if (keys.length === 0) return given;
      const unique = [...new Set(tags)];
      return chain(core, core.tags.invalidate(unique, keys), () => given);
    },
  });
}

/** What a read-through took before its computation: the tags' tokens, or the namespace's marker. */
export type TagsTaken = { readonly snapshot: TagSnapshot } | { readonly marker: string };

/**
 * What cached(), multiCached() and getOrSet use to write tagged results: {@link begin} before the
 * computation, {@link store} / {@link storeMany} after it. Reached through the cache's internal
 * `tagWriter` door; not part of the public API.
 */
export class TagWriter<V> {
  readonly #core: CacheCore<V>;

  constructor(core: CacheCore<V>) {
    this.#core = core;
  }

  /**
   * Takes what a computation's result will be stored with, before the computation starts: the
   * tokens of fixed `tags`, or (`undefined`: tags made from the result) the namespace's marker.
   *
   * @throws TypeError for bad fixed tags; a BackendError or CacheTimeoutError when the cache fails.
   */
  async begin(tags: readonly string[] | undefined, key: unknown): Promise<TagsTaken> {
    const core = this.#core;
    const keys = tags === undefined ? undefined : core.tags.keysOf(tags);
    let answer: Answer<TagsTaken>;
    try {
      answer =
        keys === undefined
          ? chain(core, core.tags.marker(), (marker) => ({ marker }))
          : chain(core, core.tags.snapshot(keys), (snapshot) => ({ snapshot }));
    } catch (error) {
      throw this.#failure(error);
    }
    try {
      return await core.runner.timed(Promise.resolve(answer), 'set', key);
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /**
   * Whether {@link read} pays: a backend that answers later, where reading the tags beside the
   * entry saves a round trip. A synchronous one reads them at once anyway.
   */
  get prefetches(): boolean {
    return !this.#core.synchronous;
  }

  /**
   * get of a read-through whose tags are known before the read (getOrSet, cached() with a fixed
   * list): the entry and those tags' tokens are read together, one round trip on Redis. An entry
   * tagged otherwise, or whose tokens differ from those read beside it (a write may have landed in
   * between), has its tags read again, as get would.
   */
  read(key: Key, options: OperationOptions | undefined, tags: readonly string[]): Promise<V | undefined> {
    const core = this.#core;
    return core.run('get', key, options, undefined, () => {
      const finalKey = core.keys.finalKey(key, options);
      const tagKeys = core.tags.keysOf(tags);
      const stored = core.port.get(finalKey);
      let beside: Answer<(string | undefined)[]>;
      try {
        beside = core.tags.read(tagKeys);
      } catch (error) {
        // The entry's read stands alone then; its own failure, if any, is reported.
        if (stored instanceof Promise) stored.catch(() => undefined);
        throw error;
      }
      // Read or not, the tokens' answer must never be an unhandled rejection.
      if (beside instanceof Promise) beside.catch(() => undefined);
      return chain(core, stored, (payload) => {
        if (payload === undefined) return undefined;
        const entry = taggedOf(payload, core.tagObjects);
        if (entry === undefined) return core.codec.decode(payload, key);
        return chain(core, beside, (tokens) => {
          const current = entry.keys.every((tagKey, i) => {
            const at = tagKeys.indexOf(tagKey);
            return at !== -1 && tokens[at] === entry.tokens[i];
          });
          if (current) return core.codec.decode(entry.payload, key);
          return decodeStored(core, payload, key);
        });
      });
    });
  }

  /**
   * Whether {@link readExpected} pays: a backend that reads an entry's tags with it
   * (`getWithTags`), and no L1 (whose hits a read straight from the backend would forgo).
   */
  get readsWithTags(): boolean {
    const core = this.#core;
    return core.capabilities.getWithTags && core.tier === undefined && !core.synchronous;
  }

  /**
   * get of a read-through whose results are tagged but whose tags are not known before the read
   * (cached() with a tags function): the entry and its tags' tokens in one round trip where the
   * backend can (see readExpectingTags).
   */
  readExpected(key: Key, options: OperationOptions | undefined): Promise<V | undefined> {
    const core = this.#core;
    return core.run('get', key, options, undefined, () =>
      readExpectingTags(core, core.keys.finalKey(key, options), key),
    );
  }

  /**
   * Stores a computed value with what {@link begin} took; with tags made from the result, only if
   * no invalidation ran in the namespace since.
   *
   * @returns whether it was stored.
   */
  store(
    key: Key,
    value: V,
    options: WriteOptions | undefined,
    taken: TagsTaken,
    tagsOf: readonly string[] | undefined,
  ): Promise<boolean> {
    const core = this.#core;
    return core.run('set', key, options, false, () => {
      const finalKey = core.keys.finalKey(key, options);
      const ttlMs = core.ttlOf(options);
      const payload = core.codec.encode(value, key);
      const keys = tagsOf === undefined ? undefined : core.tags.keysOf(tagsOf, 'the tags function’s answer');
      return chain(core, this.#snapshotOf(taken, keys), (snapshot) => {
        if (snapshot === undefined) return false;
        const stored = snapshot.keys.length === 0 ? payload : wrap(core, payload, snapshot);
        return chain(core, core.port.set(finalKey, stored, ttlMs), () => {
          core.tier?.written('set', [finalKey], options);
          return true;
        });
      });
    });
  }

  /**
   * Stores several computed values (multiCached) in one write, each with its own tags when they
   * are made from results (`tagsOf[i]`), all with one read of their tags.
   *
   * @returns whether they were stored.
   */
  storeMany(
    entries: readonly (readonly [string, V])[],
    options: WriteOptions | undefined,
    taken: TagsTaken,
    tagsOf: readonly (readonly string[])[] | undefined,
  ): Promise<boolean> {
    const core = this.#core;
    return core.runner.run({
      op: 'multiSet',
      keys: entries.map(([key]) => key),
      options,
      fallback: false,
      work: () => {
        const ttlMs = core.ttlOf(options);
        const encoded = entries.map(
          ([key, value]) => [core.keys.finalKey(key, options), core.codec.encode(value, key)] as const,
        );
        const perEntry = tagsOf?.map((tags) => core.tags.keysOf(tags, 'the tags function’s answer'));
        const union = perEntry === undefined ? undefined : [...new Set(perEntry.flat())];
        return chain(core, this.#snapshotOf(taken, union), (snapshot): Answer<boolean> => {
          if (snapshot === undefined) return false;
          const tokenOf = new Map(snapshot.keys.map((key, i) => [key, snapshot.tokens[i]!]));
          const stored = encoded.map(([finalKey, payload], i) => {
            const keys = perEntry === undefined ? snapshot.keys : perEntry[i]!;
            if (keys.length === 0) return [finalKey, payload] as const;
            const tokens = keys.map((tagKey) => tokenOf.get(tagKey)!);
            return [finalKey, wrap(core, payload, { keys, tokens })] as const;
          });
          const written = (): true => {
            core.tier?.written(
              'set',
              stored.map(([finalKey]) => finalKey),
              options,
            );
            return true;
          };
          if (core.capabilities.multiSet)
            return chain(core, core.port.call('multiSet', stored, ttlMs), written);
          return Promise.all(
            stored.map(([finalKey, payload]) => core.port.call('set', finalKey, payload, ttlMs)),
          ).then(written);
        });
      },
    });
  }

  // The snapshot to store with: the one taken before, or the tag keys of the result read now
  // (undefined if an invalidation ran in the namespace meanwhile).
  #snapshotOf(taken: TagsTaken, tagKeys: readonly string[] | undefined): Answer<TagSnapshot | undefined> {
    if ('snapshot' in taken) return taken.snapshot;
    return this.#core.tags.snapshotAfter(tagKeys ?? [], taken.marker);
  }

  // A failure of begin as a cache failure (what cached()'s fail-open and safe mode pass by).
  #failure(error: unknown): unknown {
    if (error instanceof LarderError) return error;
    const cause = error instanceof BackendThrew ? error.cause : error;
    return cause instanceof LarderError ? cause : new BackendError('set', this.#core.backend.name, cause);
  }
}

/** multiSet's batches (by ttl) with every payload wrapped with the tags' snapshot. */
export function wrapGroups<V>(
  core: CacheCore<V>,
  groups: ReadonlyMap<number, readonly (readonly [string, unknown])[]>,
  snapshot: TagSnapshot,
): Map<number, (readonly [string, unknown])[]> {
  const wrapped = new Map<number, (readonly [string, unknown])[]>();
  for (const [ttlMs, group] of groups) {
    wrapped.set(
      ttlMs,
      group.map(([finalKey, payload]) => [finalKey, wrap(core, payload, snapshot)] as const),
    );
  }
  return wrapped;
}

function wrap<V>(core: CacheCore<V>, payload: unknown, snapshot: TagSnapshot): unknown {
  return wrapPayload(payload, snapshot.keys, snapshot.tokens, core.tagObjects);
}
