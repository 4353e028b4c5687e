// The cache operations off the hot path, each as its argument checks and one descriptor handed to
// the runner. Cache (lib/cache.ts) is their public face and documents them; get and set, whose
// fast paths matter, live there.
import { entriesOf, keysOf, type CacheEntries } from './arguments.js';
import { requireCapability } from './backends/capabilities.js';
import type { CacheCore } from './cache-core.js';
import { describeValue } from './describe.js';
import { parseTimeout, parseTtl, type Duration } from './duration.js';
import { KeyExistsError } from './errors.js';
import { escapeGlob, type Key } from './keys.js';
import { NO_FALLBACK } from './operation.js';
import { isPending } from './promise.js';
import { parseJitter } from './strategies/jitter.js';
import type { GetOptions, OperationOptions, WriteOptions } from './options.js';
import type { DefaultWithoutTtl, ValueWithTtl } from './cache-operations.js';
import { decodeMany, existsChecked, ttlChecked, wrapGroups, writeTagged } from './tags/tagged-operations.js';

export function multiGet<V>(
  core: CacheCore<V>,
  keys: readonly Key[],
  options: OperationOptions | undefined,
): Promise<(V | undefined)[]> {
  return core.runner.run({
    op: 'multiGet',
    keys,
    options,
    fallback: () => keysOf(keys).map(() => undefined),
    work: () => {
      const finalKeys = keysOf(keys).map((key) => core.keys.finalKey(key, options));
      return core.then(core.port.multiGet(finalKeys), (payloads) =>
        decodeMany(core, payloads as unknown[], keys),
      ) as (V | undefined)[] | PromiseLike<(V | undefined)[]>;
    },
  });
}

export function getWithTtl<V, D>(
  core: CacheCore<V>,
  key: Key,
  options: GetOptions<D> | undefined,
): Promise<ValueWithTtl<V> | DefaultWithoutTtl<D> | undefined> {
  const read = core.run('get', key, options, undefined, () => {
    const finalKey = core.keys.finalKey(key, options);
    const hit = (payload: unknown, ms: number | undefined): ValueWithTtl<V> | undefined =>
      payload === undefined || ms === undefined
        ? undefined
        : { value: core.codec.decode(payload, key), ttl: ms };
    if (core.capabilities.getWithTtl) {
      return core.then(core.port.call('getWithTtl', finalKey), (entry) => hit(entry?.value, entry?.ttlMs));
    }
    // Two reads: a key removed or expired in between is a miss, never a value without its ttl.
    const payload = core.port.get(finalKey);
    if (!isPending(payload, core.synchronous)) {
      return payload === undefined
        ? undefined
        : core.then(core.port.call('ttl', finalKey), (ms) => hit(payload, ms));
    }
    return payload.then((found) =>
      found === undefined
        ? undefined
        : Promise.resolve(core.port.call('ttl', finalKey)).then((ms) => hit(found, ms)),
    );
  });
  if (options?.default === undefined) return read;
  const fallback = options.default;
  return read.then((entry) => entry ?? { value: fallback, ttl: undefined });
}

export function add<V>(
  core: CacheCore<V>,
  key: Key,
  value: V,
  options: WriteOptions | undefined,
): Promise<boolean> {
  if (options?.tags !== undefined) {
    return core.run(
      'add',
      key,
      options,
      false,
      writeTagged(core, [[key, value]], options, (encoded, ttlMs) =>
        core.then(core.port.call('add', encoded[0]![0], encoded[0]![1], ttlMs), (added) => {
          if (!added) throw new KeyExistsError(String(key));
          core.tier?.written('set', [encoded[0]![0]], options);
          return true;
        }),
      ),
    );
  }
  return core.run('add', key, options, false, () => {
    const finalKey = core.keys.finalKey(key, options);
    const ttlMs = core.ttlOf(options);
    const payload = core.codec.encode(value, key);
    return core.then(core.port.call('add', finalKey, payload, ttlMs), (added) => {
      if (!added) throw new KeyExistsError(String(key));
      core.tier?.written('set', [finalKey], options);
      return true;
    });
  });
}

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

export function exists<V>(
  core: CacheCore<V>,
  key: Key,
  options: OperationOptions | undefined,
): Promise<boolean> {
  // A read of the entry, not EXISTS: a tagged entry whose tags were invalidated is not there.
  return core.run('exists', key, options, false, () => existsChecked(core, core.keys.finalKey(key, options)));
}

export function increment<V>(
  core: CacheCore<V>,
  key: Key,
  delta: number,
  options: OperationOptions | undefined,
): Promise<number> {
  return core.run('increment', key, options, NO_FALLBACK, () => {
    if (!Number.isSafeInteger(delta)) {
      throw new TypeError(`increment delta must be a safe integer; got ${describeValue(delta)}`);
    }
    requireCapability(core.capabilities.increment, core.backend, 'increment', 'increment');
    const finalKey = core.keys.finalKey(key, options);
    const answer = core.port.call('increment', finalKey, delta, core.codec.encodeCounter(delta, key));
    if (core.tier === undefined) return answer;
    return core.then(answer, (value) => {
      core.tier?.written('set', [finalKey], options);
      return value;
    });
  });
}

export function expire<V>(
  core: CacheCore<V>,
  key: Key,
  ttl: Duration | null,
  options: OperationOptions | undefined,
): Promise<boolean> {
  return core.run('expire', key, options, false, () => {
    const finalKey = core.keys.finalKey(key, options);
    const answer = core.port.call('expire', finalKey, parseTtl(ttl));
    if (core.tier === undefined) return answer;
    return core.then(answer, (changed) => {
      // Told as a delete: an entry past the expiry its writer set is not served even as stale
      // (staleIfError), so no L1 keeps the old one.
      if (changed) core.tier?.written('delete', [finalKey], options);
      return changed;
    });
  });
}

export function ttl<V>(
  core: CacheCore<V>,
  key: Key,
  options: OperationOptions | undefined,
): Promise<number | undefined> {
  return core.run('ttl', key, options, undefined, () => ttlChecked(core, core.keys.finalKey(key, options)));
}

export function remove<V>(
  core: CacheCore<V>,
  key: Key,
  options: OperationOptions | undefined,
): Promise<number> {
  return core.run('delete', key, options, 0, () => {
    const finalKey = core.keys.finalKey(key, options);
    const answer = core.port.call('delete', finalKey);
    if (core.tier === undefined) return answer;
    return core.then(answer, (removed) => {
      if (removed > 0) core.tier?.written('delete', [finalKey], options);
      return removed;
    });
  });
}

export function multiDelete<V>(
  core: CacheCore<V>,
  keys: readonly Key[],
  options: OperationOptions | undefined,
): Promise<number> {
  return core.runner.run({
    op: 'multiDelete',
    keys,
    options,
    fallback: 0,
    work: () => {
      const finalKeys = keysOf(keys).map((key) => core.keys.finalKey(key, options));
      const answer = core.port.call('multiDelete', finalKeys);
      if (core.tier === undefined) return answer;
      return core.then(answer, (removed) => {
        if (removed > 0) core.tier?.written('delete', finalKeys, options);
        return removed;
      });
    },
  });
}

export function deletePattern<V>(
  core: CacheCore<V>,
  glob: string,
  options: OperationOptions | undefined,
): Promise<number> {
  return core.run('deletePattern', glob, options, 0, () => {
    if (typeof glob !== 'string' || glob === '') {
      throw new TypeError(`deletePattern needs a non-empty glob string; got ${describeValue(glob)}`);
    }
    requireCapability(core.capabilities.deletePattern, core.backend, 'deletePattern', 'deletePattern');
    const { prefix, suffix } = core.keys.affixes(options, true);
    const answer = core.port.call('deletePattern', escapeGlob(prefix) + glob + escapeGlob(suffix));
    if (core.tier === undefined) return answer;
    return core.then(answer, (removed) => {
      core.tier?.written('delete', undefined, options);
      return removed;
    });
  });
}

export function clear<V>(core: CacheCore<V>, options: OperationOptions | undefined): Promise<boolean> {
  return core.run('clear', undefined, options, false, () => {
    const { prefix, suffix } = core.keys.affixes(options, false);
    const cleared = (): true => {
      core.tier?.written('delete', undefined, options);
      return true;
    };
    if (suffix === '') return core.then(core.port.call('clear', prefix), cleared);
    // A key builder that puts text after the key: only a pattern finds its keys.
    requireCapability(core.capabilities.deletePattern, core.backend, 'deletePattern', 'clear');
    return core.then(core.port.call('deletePattern', `${escapeGlob(prefix)}*${escapeGlob(suffix)}`), cleared);
  });
}

export function getOrSet<V>(
  core: CacheCore<V>,
  cache: Parameters<CacheCore<V>['getOrSet']['call']>[0],
  key: Key,
  factory: () => V | Promise<V>,
  options: WriteOptions | undefined,
  missed = false,
): Promise<V> {
  return core.runner.run({
    op: 'getOrSet',
    key,
    options,
    fallback: NO_FALLBACK,
    fromBackend: false,
    timed: false,
    work: (ctx) => {
      if (typeof factory !== 'function') {
        throw new TypeError(`getOrSet needs a factory function; got ${describeValue(factory)}`);
      }
      const finalKey = core.keys.finalKey(key, options);
      // Before jitter: callers asking alike share one computation, whose write draws its own.
      const ttlMs = core.baseTtlOf(options);
      parseJitter(options?.jitter);
      const tagKeys = options?.tags === undefined ? undefined : core.tags.keysOf(options.tags);
      // The shared work must not depend on the first caller's signal: the runner races each
      // caller's own against it. A per-call time limit bounds the inner get and set (the factory
      // takes what it takes), so callers share only with callers of the same limit.
      const timeoutMs = options?.timeout === undefined ? undefined : parseTimeout(options.timeout);
      const shared =
        options === undefined
          ? undefined
          : {
              namespace: options.namespace,
              version: options.version,
              timeout: options.timeout,
              ttl: ttlMs,
              tags: options.tags,
              jitter: options.jitter,
            };
      const compute = async (): Promise<V> => {
        const value = await factory();
        if (value === undefined) {
          throw new TypeError(
            `getOrSet factory for key "${String(key)}" returned undefined, which cannot be cached`,
          );
        }
        return value;
      };
      // Callers share a computation only if they would run and store it alike: same final key,
      // same ttl, same time limit, same tags.
      const tagged = tagKeys === undefined || tagKeys.length === 0 ? '' : `\u0000${tagKeys.join('\u0000')}`;
      const share = `${ttlMs}\u0000${timeoutMs ?? ''}\u0000${finalKey}${tagged}`;
      return core.getOrSet.call(cache, String(key), share, compute, shared, missed, ctx);
    },
  });
}

export function raw<V>(core: CacheCore<V>, command: string, args: unknown[]): Promise<unknown> {
  return core.run('raw', undefined, undefined, NO_FALLBACK, () => {
    if (typeof command !== 'string' || command === '') {
      throw new TypeError(`raw needs a command name; got ${describeValue(command)}`);
    }
    requireCapability(core.capabilities.raw, core.backend, 'raw', 'raw');
    return core.port.call('raw', command, args);
  });
}
