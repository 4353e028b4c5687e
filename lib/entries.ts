import { requireCapability } from './backends/capabilities.js';
import type { CacheCore } from './cache-core.js';
import { CacheClosedError } from './errors.js';
import { escapeGlob, type Key } from './keys.js';
import * as operations from './operations.js';
import type { OperationOptions } from './options.js';
import { checkWalkGlob, scanPages, walkCount, walkPages } from './scan.js';

/**
 * `Cache.entries`: the backend's own walk with values where it has one (`scanEntries`: the memory
 * backend reads each entry in the pass that finds its key), else the walk of `scan` with each page
 * of keys read by one `multiGet` (one round trip per page on Redis, per hash slot on a Cluster).
 * Redis' `SCAN` answers keys only, so a page of keys and one read of their values is the least a
 * walk over Redis can cost. A key that expires or goes between the two is left out. Each page is
 * fetched under the time limit and the signal, as `scan`'s are.
 *
 * @throws what `scan` throws (a bad glob or count, UnsupportedOperationError), and what each
 *   page's read throws (in safe mode a `multiGet` that fails reads as misses, so yields nothing).
 */
const SKIP: unique symbol = Symbol('skip');

export async function* cacheEntries<V>(
  core: CacheCore<V>,
  glob: string,
  options: (OperationOptions & { readonly count?: number }) | undefined,
): AsyncGenerator<[string, V]> {
  if (!core.capabilities.scanEntries) {
    const read = options === undefined ? undefined : { ...options, count: undefined };
    for await (const keys of scanPages(
      core.backend,
      core.capabilities,
      core.keys,
      core.runner,
      glob,
      options,
    )) {
      if (keys.length === 0) continue;
      const values = await operations.multiGet(core, keys as readonly Key[], read);
      for (const [i, value] of values.entries()) if (value !== undefined) yield [keys[i]!, value];
    }
    return;
  }
  const { runner } = core;
  if (runner.closed) throw new CacheClosedError('scan');
  checkWalkGlob(glob, 'entries');
  const count = walkCount(options);
  requireCapability(core.capabilities.scanEntries, core.backend, 'scanEntries', 'entries');
  const { prefix, suffix } = core.keys.affixes(options, true);
  const pattern = escapeGlob(prefix) + glob + escapeGlob(suffix);
  const walk = walkPages(runner, options, () => core.backend.scanEntries!(pattern, count, options?.signal));
  for await (const page of walk) {
    for (const [finalKey, payload] of page) {
      const key = finalKey.slice(prefix.length, finalKey.length - suffix.length);
      // A payload that cannot be read is answered as multiGet answers it: logged, and in safe
      // mode left out. A tagged entry is its value while its tags hold, else left out.
      let value: V | undefined | typeof SKIP;
      try {
        value = await core.decodeStored(payload, key);
      } catch (error) {
        value = runner.recover('multiGet', key, error, SKIP, undefined, false);
      }
      if (value !== SKIP && value !== undefined) yield [key, value];
    }
  }
}
