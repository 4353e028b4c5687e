import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { ConfigError } from '../../errors.js';
import { ioredis, isCluster } from './ioredis.js';
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
    return new (ioredis().Cluster)([...connection.nodes], {
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
  return new (ioredis().Redis)({
    ...base,
    enableAutoPipelining: false,
    ...connection?.options,
    ...overrides,
  });
}

/**
 * Refuses a client with ioredis' `keyPrefix`, which SCAN patterns and FLUSHDB do not see:
 * `deletePattern` would find nothing and a root `clear()` would delete keys outside the prefix.
 *
 * @throws ConfigError naming the option and what to do instead.
 */
export function checkClient(client: Client, owned: boolean): void {
  const where = owned ? 'RedisBackend option' : 'the client given to RedisBackend has';
  const node = isCluster(client) ? client.options.redisOptions : client.options;
  const keyPrefix = isCluster(client) ? (client.options.keyPrefix ?? node?.keyPrefix) : node?.keyPrefix;
  if (keyPrefix !== undefined && keyPrefix !== '') {
    throw new ConfigError(
      `${where} keyPrefix "${keyPrefix}": larder does not support ioredis' keyPrefix, which SCAN ` +
        "and FLUSHDB do not see; use the cache's namespace option instead " +
        `(new Cache({ backend, namespace: '${keyPrefix.replace(/[:_.-]+$/, '')}' }))`,
      { path: 'keyPrefix' },
    );
  }
}
