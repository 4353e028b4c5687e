import type { CacheCore } from './cache-core.js';
import type { Key } from './keys.js';
import * as operations from './operations.js';
import type { OperationOptions } from './options.js';
import { scanPages } from './scan.js';

/**
 * `Cache.entries`: the walk of `scan`, each page of keys read with one `multiGet` (one round trip
 * per page on Redis, per hash slot on a Cluster). Redis' `SCAN` answers keys only, so a page of
 * keys and one read of their values is the least a walk over Redis can cost. A key that expires or
 * goes between the two is left out: every entry yielded was there when its page was read.
 *
 * @throws what `scan` throws (a bad glob or count, UnsupportedOperationError), and what each
 *   page's `multiGet` throws (in safe mode a page that fails reads as misses, so yields nothing).
 */
export async function* cacheEntries<V>(
  core: CacheCore<V>,
  glob: string,
  options: (OperationOptions & { readonly count?: number }) | undefined,
): AsyncGenerator<[string, V]> {
  const read = options === undefined ? undefined : { ...options, count: undefined };
  const pages = scanPages(core.backend, core.capabilities, core.keys, core.runner, glob, options);
  for await (const keys of pages) {
    if (keys.length === 0) continue;
    const values = await operations.multiGet(core, keys as readonly Key[], read);
    for (const [i, value] of values.entries()) if (value !== undefined) yield [keys[i]!, value];
  }
}
