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
  // A command whose reply was lost is never resent by ioredis (see InFlight): not by the
  // connection once it is back, nor by a Cluster on another node.
  const base = {
    maxRetriesPerRequest: REDIS_BACKEND_DEFAULTS.maxRetriesPerRequest,
    autoResendUnfulfilledCommands: false,
  };
  if (connection?.kind === 'cluster') {
    return new (ioredis().Cluster)([...connection.nodes], {
      enableAutoPipelining: autoPipelining,
      retryDelayOnFailover: 0,
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
 * Refuses a client that would break larder's guarantees:
 * - one that resends unanswered commands after a reconnect (ioredis' default for a client of its
 *   own): a write whose reply was lost would apply twice;
 * - a Cluster that resends a command whose node connection closed (`retryDelayOnFailover`);
 * - one with ioredis' `keyPrefix`, which SCAN patterns and FLUSHDB do not see: `deletePattern`
 *   would find nothing and a root `clear()` would delete keys outside the prefix.
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
  const resends = isCluster(client)
    ? typeof client.options.clusterNodeRetryStrategy === 'function' &&
      node?.autoResendUnfulfilledCommands !== false
    : node?.autoResendUnfulfilledCommands !== false;
  if (resends) {
    throw new ConfigError(
      `${where} autoResendUnfulfilledCommands on: ioredis resends a command whose reply was lost, ` +
        'which applies a write twice. Create the client with autoResendUnfulfilledCommands: false ' +
        '(or give RedisBackend a url and let it build one); docs/redis.md explains',
      { path: 'autoResendUnfulfilledCommands' },
    );
  }
  if (isCluster(client) && (client.options.retryDelayOnFailover ?? 0) > 0) {
    throw new ConfigError(
      `${where} retryDelayOnFailover ${client.options.retryDelayOnFailover}: the Cluster resends a ` +
        'command whose node connection closed, which applies a write twice. Create it with ' +
        'retryDelayOnFailover: 0; docs/redis.md explains',
      { path: 'clusterOptions.retryDelayOnFailover' },
    );
  }
}
