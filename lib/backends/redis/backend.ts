import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { describeValue } from '../../describe.js';
import { ConfigError } from '../../errors.js';
import { defaultLogger, type Logger } from '../../logger.js';
import { settleWithin } from '../../promise.js';
import { JsonSerializer } from '../../serializers/json.js';
import type { Serializer } from '../../serializers/serializer.js';
import type { Backend } from '../backend.js';
import { groupBySlot } from './slot.js';
import { parseRedisUrl, type RedisConnection } from './url.js';

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

const LARDER_OPTION_NAMES = new Set([
  'url',
  'client',
  'autoPipelining',
  'scanCount',
  'clusterOptions',
  'logger',
]);

const NOT_AN_INTEGER = /not an integer|out of range/i;

type Client = Redis | Cluster;

/**
 * A store in Redis over ioredis: a single node, a Sentinel-managed master, or a Cluster. Each
 * operation is one network round trip (a `MULTI` counts as one); on a Cluster, multi-key operations
 * are split by hash slot and sent concurrently. Key patterns are walked with `SCAN`, never `KEYS`.
 *
 * @example
 * ```ts
 * const cache = new Cache({ backend: new RedisBackend({ url: 'redis://localhost:6379/0' }), namespace: 'app' });
 * ```
 */
export class RedisBackend implements Backend {
  readonly name = 'redis';
  readonly acceptsReferences = false;
  /** The ioredis client in use. */
  readonly client: Client;
  readonly scanCount: number;

  readonly #ownsClient: boolean;
  // The client whose writes are batched per tick, if any (see #batched).
  readonly #batching: Redis | undefined;
  // The socket corked for the rest of this tick, if any.
  #corked: { uncork(): void } | undefined;
  readonly #uncork = (): void => {
    const stream = this.#corked;
    this.#corked = undefined;
    stream?.uncork();
  };
  readonly #logger: Logger;
  readonly #onError: (error: Error) => void;
  readonly #onReady: () => void;
  #healthy = true;
  #closing: Promise<void> | undefined;

  /**
   * @throws ConfigError for a bad URL or options that contradict each other.
   * @throws RangeError for a bad `scanCount`.
   */
  constructor(options: RedisBackendOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`RedisBackend options must be an object; got ${describeValue(options)}`);
    }
    const ioredisOptions: RedisOptions = {};
    for (const [name, value] of Object.entries(options)) {
      if (!LARDER_OPTION_NAMES.has(name)) (ioredisOptions as Record<string, unknown>)[name] = value;
    }
    const parsed = options.url === undefined ? undefined : parseRedisUrl(options.url);
    const scanCount = options.scanCount ?? parsed?.scanCount ?? REDIS_BACKEND_DEFAULTS.scanCount;
    if (!Number.isInteger(scanCount) || scanCount < 1) {
      throw new RangeError(`scanCount must be a positive integer; got ${describeValue(options.scanCount)}`);
    }
    this.scanCount = scanCount;
    const autoPipelining =
      options.autoPipelining ?? parsed?.autoPipelining ?? REDIS_BACKEND_DEFAULTS.autoPipelining;
    this.#logger = (options.logger ?? defaultLogger()).child({ backend: 'redis' });

    if (options.client !== undefined) {
      if (!(options.client instanceof Redis || options.client instanceof Cluster)) {
        throw new TypeError(
          `client must be an ioredis Redis or Cluster; got ${describeValue(options.client)}`,
        );
      }
      if (options.url !== undefined)
        throw new ConfigError('give RedisBackend either url or client, not both', { path: 'client' });
      this.client = options.client;
      this.#ownsClient = false;
    } else {
      this.client = createClient(parsed?.connection, ioredisOptions, autoPipelining, options.clusterOptions);
      this.#ownsClient = true;
    }

    // An 'error' event with no listener would crash the process: log it instead, loudly on the
    // first failure and quietly while ioredis keeps reconnecting.
    this.#onError = (error: Error) => {
      if (this.#healthy) this.#logger.warn({ err: error }, 'redis connection error; ioredis is reconnecting');
      else this.#logger.debug({ err: error }, 'redis connection error');
      this.#healthy = false;
    };
    this.#onReady = () => {
      if (!this.#healthy) this.#logger.info('redis connection ready again');
      this.#healthy = true;
    };
    this.client.on('error', this.#onError);
    this.client.on('ready', this.#onReady);
    this.#batching = autoPipelining && this.client instanceof Redis ? this.client : undefined;
  }

  /**
   * The client, with the writes of this tick batched: on a single node with `autoPipelining`, the
   * socket is corked until the current tick's callbacks have run (`process.nextTick`), so every
   * command issued meanwhile, by any number of callers, leaves in one write. Unlike ioredis'
   * auto-pipelining, which holds commands until the next turn of the event loop, this waits only
   * for the tick's own callbacks: a caller that awaits one command at a time loses about 3% of
   * its throughput on loopback (10–20% with ioredis' auto-pipelining). Commands keep their
   * order, as they are written in the order they are issued. On a Cluster, ioredis'
   * auto-pipelining does the batching.
   */
  #batched(): Client {
    const client = this.#batching;
    if (client !== undefined && this.#corked === undefined && client.status === 'ready') {
      const stream = client.stream;
      stream.cork();
      this.#corked = stream;
      process.nextTick(this.#uncork);
    }
    return this.client;
  }

  /** Whether the client is a Redis Cluster client. */
  get isCluster(): boolean {
    return this.client instanceof Cluster;
  }

  defaultSerializer(): Serializer<unknown> {
    return new JsonSerializer();
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.#batched().getBuffer(key).then(orUndefined);
  }

  async multiGet(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return [];
    if (!this.isCluster) {
      return (await this.#batched().mgetBuffer(...keys)).map(orUndefined);
    }
    const values = new Array<Buffer | undefined>(keys.length);
    await this.#perSlot(
      keys,
      (key) => key,
      async (group) => {
        const found = await this.client.mgetBuffer(...group.map(({ item }) => item));
        group.forEach(({ index }, i) => (values[index] = found[i] ?? undefined));
      },
    );
    return values;
  }

  set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const payload = payloadOf(value);
    const client = this.#batched();
    const reply = ttlMs === 0 ? client.set(key, payload) : client.set(key, payload, 'PX', ttlMs);
    return reply.then(nothing);
  }

  async add(key: string, value: unknown, ttlMs: number): Promise<boolean> {
    const payload = payloadOf(value);
    const reply =
      ttlMs === 0
        ? await this.#batched().set(key, payload, 'NX')
        : await this.#batched().set(key, payload, 'PX', ttlMs, 'NX');
    return reply === 'OK';
  }

  async multiSet(entries: readonly (readonly [string, unknown])[], ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    const pairs = entries.map(([key, value]) => [key, payloadOf(value)] as const);
    if (!this.isCluster) return this.#setAll(pairs, ttlMs);
    // Atomic per hash slot: a Cluster cannot run one transaction across slots.
    await this.#perSlot(
      pairs,
      ([key]) => key,
      (group) =>
        this.#setAll(
          group.map(({ item }) => item),
          ttlMs,
        ),
    );
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#batched().exists(key)) === 1;
  }

  async increment(key: string, delta: number): Promise<number> {
    try {
      return await this.#batched().incrby(key, delta);
    } catch (error) {
      if (error instanceof Error && NOT_AN_INTEGER.test(error.message)) {
        throw new TypeError(`cannot increment key "${key}": the stored value is not an integer`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    if (ttlMs !== 0) return (await this.#batched().pexpire(key, ttlMs)) === 1;
    // PERSIST answers 0 both for a missing key and for one with no ttl; EXISTS in the same
    // transaction tells them apart.
    const replies = await this.#batched().multi().exists(key).persist(key).exec();
    return transactionResults(replies)[0] === 1;
  }

  async ttl(key: string): Promise<number | undefined> {
    const ms = await this.#batched().pttl(key);
    if (ms === -2) return undefined;
    return ms === -1 ? Infinity : ms;
  }

  async delete(key: string): Promise<number> {
    return this.#batched().unlink(key);
  }

  async multiDelete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    if (!this.isCluster) return this.#batched().unlink(...keys);
    const counts = await this.#perSlot(
      keys,
      (key) => key,
      (group) => this.client.unlink(...group.map(({ item }) => item)),
    );
    return sum(counts);
  }

  async deletePattern(pattern: string): Promise<number> {
    return sum(await Promise.all(this.#masters().map((node) => this.#scanAndUnlink(node, pattern))));
  }

  async clear(): Promise<void> {
    await Promise.all(this.#masters().map((node) => node.flushdb('ASYNC')));
  }

  async *scan(pattern: string, count: number): AsyncGenerator<string[]> {
    for (const node of this.#masters()) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
        cursor = next;
        if (keys.length > 0) yield keys;
      } while (cursor !== '0');
    }
  }

  async compareAndSet(key: string, expected: unknown, value: unknown, ttlMs: number): Promise<boolean> {
    const args = [
      expected === undefined ? '0' : '1',
      expected === undefined ? '' : payloadOf(expected),
      payloadOf(value),
      ttlMs,
    ];
    return (await this.#batched().eval(COMPARE_AND_SET, 1, key, ...args)) === 1;
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    return (await this.#batched().eval(COMPARE_AND_DELETE, 1, key, expected)) === 1;
  }

  async compareAndExpire(key: string, expected: string, ttlMs: number): Promise<boolean> {
    return (await this.#batched().eval(COMPARE_AND_EXPIRE, 1, key, expected, ttlMs)) === 1;
  }

  async raw(command: string, args: readonly unknown[]): Promise<unknown> {
    return this.#batched().call(command, ...(args as (string | number | Buffer)[]));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (!this.#ownsClient) {
      this.client.off('error', this.#onError);
      this.client.off('ready', this.#onReady);
      return;
    }
    // QUIT lets replies already on their way arrive; a server that does not answer it (down,
    // paused) must not hold close() up, so every wait here is bounded.
    const ended =
      this.client.status === 'end'
        ? undefined
        : new Promise<void>((resolve) => this.client.once('end', resolve));
    if (this.client.status === 'ready')
      await atMost(
        this.client.quit().catch(() => undefined),
        CLOSE_WAIT_MS,
      );
    this.client.disconnect();
    if (ended !== undefined) await atMost(ended, CLOSE_WAIT_MS);
  }

  async #setAll(pairs: readonly (readonly [string, string | Buffer])[], ttlMs: number): Promise<void> {
    if (ttlMs === 0) {
      await this.#batched().mset(...pairs.flat());
      return;
    }
    const transaction = this.#batched().multi();
    for (const [key, payload] of pairs) transaction.set(key, payload, 'PX', ttlMs);
    transactionResults(await transaction.exec());
  }

  // Runs `work` once per hash slot of the items, concurrently: one round trip in all.
  #perSlot<T, R>(
    items: readonly T[],
    keyOf: (item: T) => string,
    work: (group: { item: T; index: number }[]) => Promise<R>,
  ): Promise<R[]> {
    return Promise.all([...groupBySlot(items, keyOf).values()].map(work));
  }

  #masters(): Redis[] {
    return this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
  }

  // Follows SCAN's cursor until it returns to 0, unlinking each batch as it comes.
  async #scanAndUnlink(node: Redis, pattern: string): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', this.scanCount);
      cursor = next;
      if (keys.length === 0) continue;
      if (!this.isCluster) {
        removed += await node.unlink(...keys);
      } else {
        // One node holds many slots; a multi-key command must stay within one.
        removed += sum(
          await this.#perSlot(
            keys,
            (key) => key,
            (group) => node.unlink(...group.map(({ item }) => item)),
          ),
        );
      }
    } while (cursor !== '0');
    return removed;
  }
}

function createClient(
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

// Compare-and-X scripts: one atomic round trip each, and no WATCH, which would need a connection
// of its own (ioredis multiplexes every caller over one). EVAL hands the script body each time;
// they are a few hundred bytes, and Redis caches them by hash.
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
else redis.call('SET', KEYS[1], ARGV[3]) end
return 1`;
const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const COMPARE_AND_EXPIRE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

// How long close() waits for QUIT's answer, and then for the socket to end.
const CLOSE_WAIT_MS = 1_000;

// Waits for `pending`, but no longer than `ms`; close() must finish even if Redis never answers.
function atMost(pending: Promise<unknown>, ms: number): Promise<unknown> {
  return settleWithin(pending, ms, undefined, () => new Error('gave up waiting')).catch(() => undefined);
}

function sum(counts: readonly number[]): number {
  return counts.reduce((total, count) => total + count, 0);
}

// ioredis sends Buffers as bytes but stringifies any other Uint8Array ("1,2,3"): wrap it, without copying.
function payloadOf(value: unknown): string | Buffer {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(
    `the redis backend stores strings or bytes; got ${describeValue(value)} (is the serializer a NullSerializer?)`,
  );
}

function transactionResults(replies: [Error | null, unknown][] | null): unknown[] {
  if (replies === null) throw new Error('the Redis transaction was aborted');
  return replies.map(([error, result]) => {
    if (error !== null) throw error;
    return result;
  });
}

function orUndefined<T>(value: T | null): T | undefined {
  return value ?? undefined;
}

function nothing(): void {}
