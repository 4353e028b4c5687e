import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { REDIS_BACKEND_DEFAULTS } from './options.js';
import type { RedisConnection } from './url.js';

/** The ioredis client a {@link RedisBackend} talks through. */
export type Client = Redis | Cluster;

/**
 * Builds the client of a URL's connection (or of ioredis options alone): a `Cluster` for
 * `redis+cluster://`, else a `Redis`, with larder's defaults under the URL's options, and the
 * caller's ioredis options (`overrides`) over both.
 */
export function createClient(
  connection: RedisConnection | undefined,
  overrides: RedisOptions,
  autoPipelining: boolean,
  clusterOptions: ClusterOptions | undefined,
): Client {
  // A single node batches by corking its socket per tick (RedisBackend#batched), which needs no
  // help from ioredis; a Cluster relies on ioredis' auto-pipelining.
  const base = { maxRetriesPerRequest: REDIS_BACKEND_DEFAULTS.maxRetriesPerRequest };
  if (connection?.kind === 'cluster') {
    return new Cluster([...connection.nodes], {
      enableAutoPipelining: autoPipelining,
      ...clusterOptions,
      redisOptions: {
        ...base,
        enableAutoPipelining: autoPipelining,
        ...connection.options.redisOptions,
        ...overrides,
        ...clusterOptions?.redisOptions,
      },
    });
  }
  return new Redis({ ...base, enableAutoPipelining: false, ...connection?.options, ...overrides });
}
