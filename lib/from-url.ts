import { normalizeAlias } from './config.js';
import { ComponentTypes } from './factory.js';
import type { CacheOptions } from './options.js';

// fromUrl knows the built-in types; the `caches` registry knows registered ones too.
const types = new ComponentTypes();

/**
 * The options of the cache a URL describes (`Cache.fromUrl`), with a new backend, serializer
 * and plugins built for it.
 *
 * @throws ConfigError naming the part of the URL at fault.
 */
export function cacheOptionsFromUrl(url: string, _overrides: CacheOptions): CacheOptions {
  return types.build(normalizeAlias(url, '', types.known()), 'url', undefined);
}
