import type { Backend } from './backends/backend.js';
import { MemoryBackend, type MemoryBackendOptions } from './backends/memory.js';
import { RedisBackend } from './backends/redis.js';
import { REDIS_SCHEMES, redact } from './backends/redis/url.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import type { CacheOptions } from './options.js';
import type { Compression, SerializerOptions } from './serializers/envelope.js';
import { JsonSerializer } from './serializers/json.js';
import { MsgpackSerializer } from './serializers/msgpack.js';
import { NullSerializer } from './serializers/null.js';
import type { Serializer } from './serializers/serializer.js';
import { StringSerializer } from './serializers/string.js';
import { StructuredCloneSerializer } from './serializers/structured-clone.js';

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

const SERIALIZERS: Readonly<Record<string, (options: SerializerOptions) => Serializer<unknown>>> =
  Object.freeze({
    json: (options) => new JsonSerializer(options),
    string: (options) => new StringSerializer(options),
    msgpack: (options) => new MsgpackSerializer(options),
    'structured-clone': (options) => new StructuredCloneSerializer(options),
    null: () => new NullSerializer(),
  });

const COMPRESSIONS: readonly Compression[] = ['gzip', 'brotli', 'deflate'];

/**
 * Reads a cache URL into {@link CacheOptions}: `memory://?maxSize=10000`, or any Redis URL
 * (`redis://`, `rediss://`, `redis+unix://`, `redis+sentinel://`, `redis+cluster://`), with the
 * cache-level query parameters in {@link CACHE_URL_PARAMS} and the backend's own.
 *
 * @throws ConfigError naming the URL part at fault; the URL's password is never echoed.
 */
export function cacheOptionsFromUrl(url: string): CacheOptions {
  if (typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim())) {
    throw new ConfigError(
      `a cache URL looks like memory:// or redis://host:6379/0; got ${JSON.stringify(typeof url === 'string' ? redact(url) : url)}`,
      {
        path: 'url',
      },
    );
  }
  const trimmed = url.trim();
  const queryAt = trimmed.indexOf('?');
  const base = queryAt === -1 ? trimmed : trimmed.slice(0, queryAt);
  const params = new URLSearchParams(queryAt === -1 ? '' : trimmed.slice(queryAt + 1).replace(/#.*$/, ''));
  const cacheParams = new Map<string, string>();
  for (const name of CACHE_URL_PARAMS) {
    const value = params.get(name);
    if (value !== null) cacheParams.set(name, value);
    params.delete(name);
  }
  // Validate the cache-level part first: a Redis backend starts connecting as soon as it exists.
  const cacheOptions = cacheOptionsOf(cacheParams);
  const scheme = base.slice(0, base.indexOf(':')).toLowerCase();
  const rest = params.toString();
  const backend =
    scheme === 'memory'
      ? memoryBackendFromUrl(base, params)
      : redisBackendFromUrl(scheme, rest === '' ? base : `${base}?${rest}`);
  return { backend, ...cacheOptions };
}

function memoryBackendFromUrl(base: string, params: URLSearchParams): MemoryBackend {
  if (!/^memory:\/\/\/?$/i.test(base))
    throw new ConfigError(`a memory: URL has no host or path; got "${base}"`, { path: 'url' });
  const options: { -readonly [K in keyof MemoryBackendOptions]: MemoryBackendOptions[K] } = {};
  for (const [name, value] of params) {
    if (name === 'maxSize' || name === 'maxBytes') {
      const number = value === 'Infinity' && name === 'maxSize' ? Infinity : Number(value);
      if (value.trim() === '' || Number.isNaN(number))
        throw new ConfigError(`${name} must be a number; got "${value}"`, { path: `url.${name}` });
      options[name] = number;
    } else if (name === 'sweepInterval') {
      options.sweepInterval = value;
    } else {
      throw new ConfigError(
        `unknown memory URL parameter "${name}"; known: ${[...MEMORY_URL_PARAMS, ...CACHE_URL_PARAMS].join(', ')}`,
        {
          path: `url.${name}`,
        },
      );
    }
  }
  return asConfigError(() => new MemoryBackend(options), 'url');
}

function redisBackendFromUrl(scheme: string, url: string): Backend {
  if (!REDIS_SCHEMES.includes(scheme)) {
    throw new ConfigError(
      `unknown cache URL scheme "${scheme}:"; known: memory:, ${REDIS_SCHEMES.map((s) => `${s}:`).join(', ')}`,
      {
        path: 'url',
      },
    );
  }
  return new RedisBackend({ url });
}

function cacheOptionsOf(params: Map<string, string>): Omit<CacheOptions, 'backend'> {
  const options: { -readonly [K in keyof CacheOptions]: CacheOptions[K] } = {};
  for (const [name, value] of params) {
    switch (name) {
      case 'namespace':
        options.namespace = value;
        break;
      case 'version':
        options.version = value;
        break;
      case 'ttl':
      case 'timeout':
        asConfigError(() => parseDuration(value, name), `url.${name}`);
        options[name] = value;
        break;
      case 'safe':
        if (value !== 'true' && value !== 'false')
          throw new ConfigError(`safe must be true or false; got "${value}"`, { path: 'url.safe' });
        options.safe = value === 'true';
        break;
      case 'serializer':
      case 'compress':
        break;
    }
  }
  const serializerName = params.get('serializer');
  const compress = params.get('compress');
  if (compress !== undefined && !COMPRESSIONS.includes(compress as Compression)) {
    throw new ConfigError(`unknown compress "${compress}"; known: ${COMPRESSIONS.join(', ')}`, {
      path: 'url.compress',
    });
  }
  if (serializerName !== undefined || compress !== undefined) {
    const name = serializerName ?? 'json';
    const make = SERIALIZERS[name];
    if (make === undefined) {
      throw new ConfigError(`unknown serializer "${name}"; known: ${Object.keys(SERIALIZERS).join(', ')}`, {
        path: 'url.serializer',
      });
    }
    if (name === 'null' && compress !== undefined) {
      throw new ConfigError('the null serializer stores references and cannot compress', {
        path: 'url.compress',
      });
    }
    options.serializer = make(compress === undefined ? {} : { compress: compress as Compression });
  }
  return options;
}

function asConfigError<T>(build: () => T, path: string): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError)
      throw new ConfigError(error.message, { path, cause: error });
    throw error;
  }
}
