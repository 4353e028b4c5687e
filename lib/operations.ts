// The cache operations off the hot path, each as its argument checks and one descriptor handed to
// the runner. Cache (lib/cache.ts) is their public face and documents them; get and set, whose
// fast paths matter, live beside it (lib/cache-reads.ts, lib/cache-writes.ts), and multiSet, with
// its batching by ttl, in lib/multi-set.ts.
import { keysOf } from './arguments.js';
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
import { decodeMany, writeTagged } from './tags/tagged-operations.js';
import { existsChecked, ttlChecked } from './tags/tagged-reads.js';

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

export function exists<V>(
  core: CacheCore<V>,
  key: Key,
  options: OperationOptions | undefined,
): Promise<boolean> {
  // Not EXISTS alone: a tagged entry whose tags were invalidated is not there (see existsChecked).
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
