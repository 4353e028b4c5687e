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
  'l1',
  'l1Ttl',
  'invalidation',
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
  const l1 = l1Of(params.get('l1'), params.get('l1Ttl'));
  if (l1 !== undefined) alias.l1 = l1;
  for (const name of CACHE_URL_PARAMS) {
    const value = params.get(name);
    params.delete(name);
    if (value === null || ['serializer', 'compress', 'l1', 'l1Ttl'].includes(name)) continue;
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

// `?l1=10000&l1Ttl=1m` as the l1 option: `l1` a maxSize (or true/false), `l1Ttl` its ttl.
function l1Of(size: string | null, ttl: string | null): unknown {
  if (size === null && ttl === null) return undefined;
  if (size === 'false') {
    if (ttl !== null) throw new ConfigError('l1Ttl needs an l1; got l1=false', { path: 'url.l1Ttl' });
    return false;
  }
  const options: Record<string, unknown> = {};
  if (size !== null && size !== 'true') {
    if (!/^\d+$/.test(size)) {
      throw new ConfigError(`l1 must be a maxSize (a whole number), true or false; got "${size}"`, {
        path: 'url.l1',
      });
    }
    options.maxSize = Number(size);
  }
  if (ttl !== null) options.ttl = ttl;
  return options;
}

function booleanOf(value: string, path: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(`safe must be true or false; got "${value}"`, { path });
}
