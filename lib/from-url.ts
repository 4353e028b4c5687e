import { BUILT_IN_COMPONENTS } from './built-in-components.js';
import { normalizeAlias } from './config.js';
import { describeValue } from './describe.js';
import { ComponentTypes } from './factory.js';
import { defaultLogger } from './logger.js';
import type { CacheOptions } from './options.js';

// Made on first use, so importing larder builds nothing.
let builtIns: ComponentTypes | undefined;

/**
 * What `Cache.fromUrl` does: reads the URL with the built-in component types, builds what
 * `overrides` do not replace (an overridden backend is never built, so no connection is opened for
 * it), and hands the options to `construct`. The cache class is passed in, so that this module
 * does not import the cache; cache.ts imports this one function and not the registry (the
 * `caches` registry, which knows registered types too, builds caches on its own).
 *
 * @throws TypeError for a URL that is not a string; ConfigError naming the part of the URL at fault.
 */
export function cacheFromUrl<C>(
  url: string,
  overrides: CacheOptions,
  construct: (options: CacheOptions) => C,
): C {
  if (typeof url !== 'string')
    throw new TypeError(`Cache.fromUrl needs a URL string; got ${describeValue(url)}`);
  const types = (builtIns ??= new ComponentTypes(BUILT_IN_COMPONENTS));
  const spec = normalizeAlias(url, '', types);
  return types.buildCache(spec, '', { logger: overrides.logger ?? defaultLogger() }, overrides, construct);
}
