import { REDIS_SCHEMES, redact } from './backends/redis/url.js';
import { ConfigError } from './errors.js';

/** Query parameters that configure the cache itself, whatever the backend. */
export const CACHE_URL_PARAMS = Object.freeze([
  'namespace',
  'version',
  'ttl',
  'timeout',
  'serializer',
  'compress',
  'safe',
]);

const MEMORY_URL_PARAMS = Object.freeze(['maxSize', 'maxBytes', 'sweepInterval']);

/**
 * Translates a cache URL into the object form of a config alias, without checking option values
 * or building anything (`normalizeAlias` does the checking):
 * `memory://?maxSize=10000`, or a Redis URL (`redis://`, `rediss://`, `redis+unix://`,
 * `redis+sentinel://`, `redis+cluster://`), with the cache-level parameters in {@link CACHE_URL_PARAMS}
 * and the backend's own.
 *
 * @throws ConfigError for a URL of the wrong shape or scheme; the URL's password is never echoed.
 */
export function aliasFromUrl(url: string): Record<string, unknown> {
  if (typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim())) {
    throw new ConfigError(
      `a cache URL looks like memory:// or redis://host:6379/0; got ${JSON.stringify(typeof url === 'string' ? redact(url) : url)}`,
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
  if (scheme === 'memory') {
    if (!/^memory:\/\/\/?$/i.test(base))
      throw new ConfigError(`a memory: URL has no host or path; got "${base}"`, { path: 'url' });
    const backend: Record<string, unknown> = { type: 'memory' };
    for (const [name, value] of params) {
      if (!MEMORY_URL_PARAMS.includes(name)) {
        throw new ConfigError(
          `unknown memory URL parameter "${name}"; known: ${[...MEMORY_URL_PARAMS, ...CACHE_URL_PARAMS].join(', ')}`,
          {
            path: `url.${name}`,
          },
        );
      }
      backend[name] = name === 'sweepInterval' ? value : numberOf(value, `url.${name}`);
    }
    alias.backend = backend;
  } else if (REDIS_SCHEMES.includes(scheme)) {
    const rest = params.toString();
    alias.backend = { type: 'redis', url: rest === '' ? base : `${base}?${rest}` };
  } else {
    throw new ConfigError(
      `unknown cache URL scheme "${scheme}:"; known: memory:, ${REDIS_SCHEMES.map((s) => `${s}:`).join(', ')}`,
      {
        path: 'url',
      },
    );
  }
  return alias;
}

function booleanOf(value: string, path: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(`safe must be true or false; got "${value}"`, { path });
}

function numberOf(value: string, path: string): number {
  const number = value === 'Infinity' ? Infinity : Number(value);
  if (value.trim() === '' || Number.isNaN(number))
    throw new ConfigError(`expected a number; got "${value}"`, { path });
  return number;
}
