import type { BackendDescriptor, BackendUrl, BuildContext } from '../../component.js';
import { RedisBackend } from './backend.js';
import { REDIS_BACKEND_OPTIONS, type RedisBackendOptions } from './options.js';
import { REDIS_SCHEMES } from './url.js';

/**
 * The `redis` backend type: `{ backend: { type: 'redis', url, ...ioredis options } }` and every
 * Redis URL scheme (`redis:`, `rediss:`, `redis+unix:`, `redis+sentinel:`, `redis+cluster:`). The
 * cache's logger reaches the backend unless the options name one.
 */
export const REDIS_BACKEND_DESCRIPTOR: BackendDescriptor<RedisBackendOptions> = Object.freeze({
  kind: 'backend',
  type: 'redis',
  options: REDIS_BACKEND_OPTIONS,
  schemes: REDIS_SCHEMES,
  // The URL stays whole, as the backend's `url` option: parseRedisUrl reads it, parameters and all.
  fromUrl: ({ base, params }: BackendUrl) => {
    const rest = params.toString();
    return { url: rest === '' ? base : `${base}?${rest}` };
  },
  build: (options: RedisBackendOptions, { logger }: BuildContext) => new RedisBackend({ logger, ...options }),
});
