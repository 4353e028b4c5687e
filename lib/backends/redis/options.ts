import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { describeValue } from '../../describe.js';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { checks, type OptionCheck, type OptionsSchema } from '../../options-schema.js';
import { ioredis } from './ioredis.js';
import { parseRedisUrl } from './url.js';

/**
 * Options of {@link RedisBackend}: where to connect (`url`, `client`, or ioredis' own options),
 * plus larder's own. Any other field is passed to ioredis as it is.
 */
export interface RedisBackendOptions extends RedisOptions {
  /**
   * `redis://`, `rediss://`, `redis+unix://`, `redis+sentinel://` or `redis+cluster://` URL
   * (see docs/redis.md). ioredis options given beside it override what the URL says.
   */
  readonly url?: string;
  /**
   * An existing ioredis `Redis` or `Cluster` client to use. The backend does not own it: `close()`
   * leaves it connected, for its owner to close.
   */
  readonly client?: Redis | Cluster;
  /**
   * Commands issued in the same tick go out in one write. On a single node, larder corks the
   * socket until the tick's callbacks have run, which adds no latency to a caller that awaits one
   * command at a time; on a Cluster, ioredis' auto-pipelining does it. Measurements in
   * docs/redis.md and docs/benchmarks.md.
   * @default true
   */
  readonly autoPipelining?: boolean;
  /**
   * `COUNT` hint of each `SCAN` step in `deletePattern` and `clear`.
   * @default 1000
   */
  readonly scanCount?: number;
  /** Extra ioredis `Cluster` options, for `redis+cluster://` URLs. */
  readonly clusterOptions?: ClusterOptions;
  /**
   * Where connection errors are logged.
   * @default pino to stderr at `LARDER_LOG_LEVEL` (default `warn`)
   */
  readonly logger?: Logger;
}

/** The frozen defaults of {@link RedisBackendOptions} (and of the ioredis options larder sets). */
export const REDIS_BACKEND_DEFAULTS = Object.freeze({
  autoPipelining: true,
  scanCount: 1_000,
  // Commands sent while disconnected fail after one reconnection attempt instead of twenty, so a
  // command the cache already gave up on (timeout) does not land much later when Redis comes back.
  maxRetriesPerRequest: 1,
});

// Every option of ioredis' RedisOptions, so a config may name any of them (and nothing else).
const IOREDIS_OPTION_NAMES = [
  'host',
  'port',
  'path',
  'username',
  'password',
  'db',
  'tls',
  'sentinels',
  'name',
  'role',
  'preferredSlaves',
  'sentinelUsername',
  'sentinelPassword',
  'sentinelTLS',
  'enableTLSForSentinelMode',
  'sentinelCommandTimeout',
  'sentinelMaxConnections',
  'sentinelRetryStrategy',
  'sentinelReconnectStrategy',
  'updateSentinels',
  'natMap',
  'failoverDetector',
  'connectTimeout',
  'commandTimeout',
  'socketTimeout',
  'blockingTimeout',
  'blockingTimeoutGrace',
  'keepAlive',
  'noDelay',
  'connectionName',
  'clientInfoTag',
  'disableClientInfo',
  'family',
  'keyPrefix',
  'retryStrategy',
  'reconnectOnError',
  'readOnly',
  'stringNumbers',
  'maxRetriesPerRequest',
  'maxLoadingRetryTime',
  'enableAutoPipelining',
  'autoPipeliningIgnoredCommands',
  'enableOfflineQueue',
  'enableReadyCheck',
  'lazyConnect',
  'autoResubscribe',
  'autoResendUnfulfilledCommands',
  'disconnectTimeout',
  'protocol',
  'scripts',
  'monitor',
  'showFriendlyErrorStack',
  'replyMapping',
  'offlineQueue',
  'commandQueue',
  'himportFieldsets',
  'Connector',
] as const satisfies readonly (keyof RedisOptions)[];

// Fails to compile when an ioredis upgrade adds an option this list lacks, naming it.
type Unlisted = Exclude<keyof RedisOptions, (typeof IOREDIS_OPTION_NAMES)[number]>;
const _everyIoredisOptionListed: [Unlisted] extends [never] ? true : Unlisted = true;

// A Redis URL, read in full so that a config fails when it is set: `.db` of `redis://h/abc`.
const redisUrl: OptionCheck = (value) => {
  if (typeof value !== 'string')
    return { message: `expected a Redis URL; got ${describeValue(value)}`, error: 'type' };
  try {
    parseRedisUrl(value);
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      message: error.message,
      error: 'config',
      at: error.path?.replace(/^url/, '') ?? '',
      cause: error,
    };
  }
};

const ioredisClient: OptionCheck = (value) =>
  value instanceof ioredis().Redis || value instanceof ioredis().Cluster
    ? undefined
    : { message: `expected an ioredis Redis or Cluster; got ${describeValue(value)}`, error: 'type' };

/**
 * The options schema of {@link RedisBackend}: larder's own options in `fields`, checked by its
 * constructor and in configs; ioredis' in `passThrough`, handed to ioredis by its own names (and
 * checked where a config can get them wrong).
 */
export const REDIS_BACKEND_OPTIONS: OptionsSchema = Object.freeze({
  fields: Object.freeze({
    url: redisUrl,
    client: ioredisClient,
    autoPipelining: checks.boolean,
    scanCount: checks.integer(1),
    clusterOptions: checks.object,
    logger: checks.object,
  }),
  passThrough: Object.freeze({
    ...Object.fromEntries(IOREDIS_OPTION_NAMES.map((name) => [name, checks.anything])),
    host: checks.string,
    port: checks.integer(1, 65_535),
    path: checks.string,
    username: checks.string,
    password: checks.string,
    db: checks.integer(0),
    connectTimeout: checks.integer(0),
    commandTimeout: checks.integer(0),
  }),
});
