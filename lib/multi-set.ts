// multiSet: every entry checked and encoded before anything is written, grouped by ttl (an
// entry's own, the call's, the cache's), each group one atomic batch where the backend has one,
// and the L1 told of the keys once the backend acknowledged them. Cache (lib/cache.ts) is its
// public face.
import { entriesOf, type CacheEntries } from './arguments.js';
import type { CacheCore } from './cache-core.js';
import { parseTtl, type Duration } from './duration.js';
import type { WriteOptions } from './options.js';
import { isPending } from './promise.js';
import { wrapGroups } from './tags/tagged-operations.js';

export function multiSet<V>(
  core: CacheCore<V>,
  entries: CacheEntries<V>,
  options: WriteOptions | undefined,
): Promise<boolean> {
  let pairs: (readonly [unknown, V, unknown?])[];
  try {
    pairs = entriesOf(entries);
  } catch (error) {
    return Promise.reject(error);
  }
  return core.runner.run({
    op: 'multiSet',
    keys: pairs.map(([key]) => key),
    options,
    fallback: false,
    work: () => {
      const groups = byTtl(core, pairs, options);
      const tagKeys = options?.tags === undefined ? [] : core.tags.keysOf(options.tags);
      // Tagged: the tags' tokens read first, every payload then wrapped with them (see docs/tags.md).
      if (tagKeys.length > 0) {
        return core.then(core.tags.snapshot(tagKeys), (snapshot) =>
          writeGroups(core, wrapGroups(core, groups, snapshot), options),
        ) as boolean | PromiseLike<boolean>;
      }
      return writeGroups(core, groups, options);
    },
  });
}

// multiSet's write of its batches, the L1 told of the keys once the backend acknowledged them.
function writeGroups<V>(
  core: CacheCore<V>,
  groups: ReadonlyMap<number, readonly (readonly [string, unknown])[]>,
  options: WriteOptions | undefined,
): boolean | PromiseLike<boolean> {
  const written = (): true => {
    core.tier?.written(
      'set',
      [...groups.values()].flatMap((group) => group.map(([key]) => key)),
      options,
    );
    return true;
  };
  if (core.capabilities.multiSet && groups.size === 1) {
    const [ttlMs, encoded] = groups.entries().next().value!;
    return core.then(core.port.call('multiSet', encoded, ttlMs), written);
  }
  // Several batches (atomic each), or without an atomic batch one write per entry, each
  // failure handled: a write that throws after earlier ones answered with promises must not
  // leave those unhandled.
  const writes: PromiseLike<unknown>[] = [];
  try {
    for (const [ttlMs, encoded] of groups) {
      if (core.capabilities.multiSet) {
        const answer = core.port.call('multiSet', encoded, ttlMs);
        if (isPending(answer, core.synchronous)) writes.push(answer);
        continue;
      }
      for (const [key, payload] of encoded) {
        const answer = core.port.call('set', key, payload, ttlMs);
        if (isPending(answer, core.synchronous)) writes.push(answer);
      }
    }
  } catch (error) {
    for (const write of writes) write.then(undefined, () => undefined);
    throw error;
  }
  return writes.length === 0 ? written() : Promise.all(writes).then(written);
}

/**
 * multiSet's entries encoded and grouped by ttl (an entry's own, else the call's, else the
 * cache's), every key, ttl and value checked before anything is written. A key given twice keeps
 * its later value and ttl. Each batch's ttl is jittered once, if jitter is asked for.
 */
function byTtl<V>(
  core: CacheCore<V>,
  pairs: readonly (readonly [unknown, V, unknown?])[],
  options: WriteOptions | undefined,
): Map<number, (readonly [string, unknown])[]> {
  const ttlMs = core.baseTtlOf(options);
  const latest = new Map<string, readonly [unknown, number]>();
  for (const [key, value, ...own] of pairs) {
    const finalKey = core.keys.finalKey(key, options);
    const entryTtl = own[0] === undefined ? ttlMs : parseTtl(own[0] as Duration | null);
    latest.delete(finalKey);
    latest.set(finalKey, [core.codec.encode(value, key), entryTtl]);
  }
  const byBase = new Map<number, (readonly [string, unknown])[]>();
  if (latest.size === 0) byBase.set(ttlMs, []);
  for (const [finalKey, [payload, entryTtl]] of latest) {
    let group = byBase.get(entryTtl);
    if (group === undefined) byBase.set(entryTtl, (group = []));
    group.push([finalKey, payload]);
  }
  const groups = new Map<number, (readonly [string, unknown])[]>();
  for (const [base, group] of byBase) {
    const jittered = core.jitterOf(base, options);
    const same = groups.get(jittered);
    if (same === undefined) groups.set(jittered, group);
    else same.push(...group);
  }
  return groups;
}
