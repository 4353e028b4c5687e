import { ConfigError } from './errors.js';
import type { ComponentTypes } from './factory.js';
import { redact } from './redact.js';

/** Query parameters that configure the cache itself, whatever the backend. */
export const CACHE_URL_PARAMS = Object.freeze([
  'namespace',
  'version',
  'ttl',
  'jitter',
  'timeout',
  'serializer',
  'compress',
  'safe',
]);

/**
 * Translates a cache URL into the object form of a config alias, without checking option values
 * or building anything (`normalizeAlias` does the checking). The cache-level parameters in
 * {@link CACHE_URL_PARAMS} become alias fields; the backend is the type that claims the URL's
 * scheme among `types`, and its descriptor's `fromUrl` turns the rest of the URL into its options.
 *
 * @throws ConfigError for a URL of the wrong shape or scheme; the URL's password is never echoed.
 */
export function aliasFromUrl(url: string, types: ComponentTypes): Record<string, unknown> {
  const schemes = types
    .schemes()
    .map((scheme) => `${scheme}:`)
    .join(', ');
  if (typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim())) {
    throw new ConfigError(
      `a cache URL looks like scheme://…, the scheme one of ${schemes}; got ${JSON.stringify(typeof url === 'string' ? redact(url) : url)}`,
      { path: 'url' },
    );
  }
  const trimmed = url.trim().replace(/#.*$/, '');
  const queryAt = trimmed.indexOf('?');
  const base = queryAt === -1 ? trimmed : trimmed.slice(0, queryAt);
  const params = new URLSearchParams(queryAt === -1 ? '' : trimmed.slice(queryAt + 1));
  const alias: Record<string, unknown> = {};
  const serializer = params.get('serializer');
  const compress = params.get('compress');
  if (serializer !== null || compress !== null) {
    alias.serializer = { type: serializer ?? 'json', ...(compress === null ? {} : { compress }) };
  }
  for (const name of CACHE_URL_PARAMS) {
    const value = params.get(name);
    params.delete(name);
    if (value === null || name === 'serializer' || name === 'compress') continue;
    alias[name] = name === 'safe' ? booleanOf(value, 'url.safe') : value;
  }

  const scheme = base.slice(0, base.indexOf(':')).toLowerCase();
  const backend = types.forScheme(scheme);
  if (backend === undefined) {
    throw new ConfigError(`unknown cache URL scheme "${scheme}:"; known: ${schemes}`, { path: 'url' });
  }
  const options = backend.descriptor.fromUrl!({ base, scheme, params, cacheParams: CACHE_URL_PARAMS });
  alias.backend = { ...options, type: backend.name };
  return alias;
}

function booleanOf(value: string, path: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(`safe must be true or false; got "${value}"`, { path });
}
