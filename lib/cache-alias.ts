// Which registry alias a cache was built for, so what observes a cache (detectCache) can name it
// without the cache carrying a field of its own. Weak: a closed, dropped cache is not held.
const aliases = new WeakMap<object, string>();

/** Records that `cache` was built by the `caches` registry for `alias`; returns the cache. */
export function withAlias<C extends object>(cache: C, alias: string): C {
  aliases.set(cache, alias);
  return cache;
}

/** The registry alias `cache` was built for, if it was. */
export function aliasOf(cache: object): string | undefined {
  return aliases.get(cache);
}
