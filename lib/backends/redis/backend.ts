import type { Redis, RedisOptions } from 'ioredis';
import { ConfigError, NotAnIntegerError, OutOfRangeError } from '../../errors.js';
import { escapeGlob } from '../../keys.js';
import { defaultLogger, type Logger } from '../../logger.js';
import { checkOptions } from '../../options-schema.js';
import { settleWithin } from '../../promise.js';
import { JsonSerializer } from '../../serializers/json.js';
import type { Serializer } from '../../serializers/serializer.js';
import type { Backend, KeyStat, StoredWithTags, StoredWithTtl } from '../backend.js';
import { checkClient, createClient, type Client } from './client.js';
import { TaggedReads } from './get-with-tags.js';
import { readWithTtl } from './get-with-ttl.js';
import { LostReplies } from './lost-replies.js';
import { isCluster } from './ioredis.js';
import { Masters, perSlot, sum } from './masters.js';
import { REDIS_BACKEND_DEFAULTS, REDIS_BACKEND_OPTIONS, type RedisBackendOptions } from './options.js';
import { COMPARE_AND_DELETE, COMPARE_AND_EXPIRE, COMPARE_AND_SET, INCREMENT_SAFELY } from './scripts.js';
import { statOf } from './stat.js';
import { parseRedisUrl } from './url.js';
import { orUndefined, payloadOf, transactionResults } from './replies.js';

const NOT_AN_INTEGER = /not an integer|out of range/i;
const REFUSED_DB = /DB index is out of range|invalid DB index/i;

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
  readonly #lost: LostReplies;
  readonly #masters: Masters;
  readonly #taggedReads: TaggedReads;
  readonly #onError: (error: Error) => void;
  readonly #onReady: () => void;
  #healthy = true;
  #closing: Promise<void> | undefined;

  /**
   * @throws TypeError for a larder option of the wrong kind (`client` that is not an ioredis client).
   * @throws RangeError for a larder option out of range (`scanCount`).
   * @throws ConfigError for a bad URL (its `path` names the part: `url.db`) or options that
   *   contradict each other.
   */
  constructor(options: RedisBackendOptions = {}) {
    // larder's own options are checked here; ioredis checks its own.
    checkOptions(options, REDIS_BACKEND_OPTIONS, 'RedisBackend');
    const ioredisOptions: RedisOptions = {};
    for (const [name, value] of Object.entries(options)) {
      if (!Object.hasOwn(REDIS_BACKEND_OPTIONS.fields, name))
        (ioredisOptions as Record<string, unknown>)[name] = value;
    }
    const parsed = options.url === undefined ? undefined : parseRedisUrl(options.url);
    const scanCount = options.scanCount ?? parsed?.scanCount ?? REDIS_BACKEND_DEFAULTS.scanCount;
    this.scanCount = scanCount;
    const autoPipelining =
      options.autoPipelining ?? parsed?.autoPipelining ?? REDIS_BACKEND_DEFAULTS.autoPipelining;
    this.#logger = (options.logger ?? defaultLogger()).child({ backend: 'redis' });

    if (options.client !== undefined) {
      if (options.url !== undefined)
        throw new ConfigError('give RedisBackend either url or client, not both', { path: 'client' });
      this.client = options.client;
      this.#ownsClient = false;
    } else {
      this.client = createClient(parsed?.connection, ioredisOptions, autoPipelining, options.clusterOptions);
      this.#ownsClient = true;
    }
    try {
      checkClient(this.client, this.#ownsClient);
    } catch (error) {
      if (this.#ownsClient) this.client.disconnect();
      throw error;
    }
    this.#lost = new LostReplies(this.client);
    this.#masters = new Masters(this.client, this.#lost, scanCount);
    this.#taggedReads = new TaggedReads(this.client);

    // An 'error' event with no listener would crash the process: log it instead, loudly on the
    // first failure and quietly while ioredis keeps reconnecting.
    this.#onError = (error: Error) => {
      if (REFUSED_DB.test(error.message)) return this.#refusedDb(error, options.url !== undefined);
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
    this.#batching = autoPipelining && !isCluster(this.client) ? this.client : undefined;
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
    return isCluster(this.client);
  }

  defaultSerializer(): Serializer<unknown> {
    return new JsonSerializer();
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.#batched().getBuffer(key).then(orUndefined, this.#lost.readFailed);
  }

  getWithTtl(key: string): Promise<StoredWithTtl | undefined> {
    return readWithTtl(this.#batched(), key).catch(this.#lost.readFailed);
  }

  getWithTags(key: string): Promise<StoredWithTags | undefined> {
    return this.#taggedReads.read(this.#batched(), key).catch(this.#lost.readFailed);
  }

  stat(key: string, headLength: number): Promise<KeyStat | undefined> {
    return statOf(this.#batched(), key, headLength).catch(this.#lost.readFailed);
  }

  async multiGet(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return [];
    if (!this.isCluster) {
      return (
        await this.#batched()
          .mgetBuffer(...keys)
          .catch(this.#lost.readFailed)
      ).map(orUndefined);
    }
    const values = new Array<Buffer | undefined>(keys.length);
    await perSlot(
      keys,
      (key) => key,
      async (group) => {
        const found = await this.client
          .mgetBuffer(...group.map(({ item }) => item))
          .catch(this.#lost.readFailed);
        group.forEach(({ index }, i) => (values[index] = found[i] ?? undefined));
      },
    );
    return values;
  }

  set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const payload = payloadOf(value);
    const client = this.#batched();
    const reply = ttlMs === 0 ? client.set(key, payload) : client.set(key, payload, 'PX', ttlMs);
    return reply.then(nothing, (error: unknown) => {
      throw this.#lost.failure(error, 'set', key);
    });
  }

  async add(key: string, value: unknown, ttlMs: number): Promise<boolean> {
    const payload = payloadOf(value);
    const reply = await this.#lost.write(
      'add',
      key,
      ttlMs === 0
        ? this.#batched().set(key, payload, 'NX')
        : this.#batched().set(key, payload, 'PX', ttlMs, 'NX'),
    );
    return reply === 'OK';
  }

  async multiSet(entries: readonly (readonly [string, unknown])[], ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    const pairs = entries.map(([key, value]) => [key, payloadOf(value)] as const);
    const only = entries.length === 1 ? entries[0]![0] : undefined;
    if (!this.isCluster) return this.#lost.write('multiSet', only, this.#setAll(pairs, ttlMs));
    // Atomic per hash slot: a Cluster cannot run one transaction across slots.
    await perSlot(
      pairs,
      ([key]) => key,
      (group) =>
        this.#lost.write(
          'multiSet',
          only,
          this.#setAll(
            group.map(({ item }) => item),
            ttlMs,
          ),
        ),
    );
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#batched().exists(key).catch(this.#lost.readFailed)) === 1;
  }

  async increment(key: string, delta: number): Promise<number> {
    try {
      return Number(await this.#batched().eval(INCREMENT_SAFELY, 1, key, delta));
    } catch (error) {
      if (error instanceof Error && error.message.includes('LARDER_OUT_OF_RANGE')) {
        throw new OutOfRangeError(`incrementing key "${key}" leaves the safe integer range`, key);
      }
      if (error instanceof Error && NOT_AN_INTEGER.test(error.message)) {
        throw new NotAnIntegerError(key);
      }
      throw this.#lost.failure(error, 'increment', key);
    }
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    const write = <T>(reply: Promise<T>): Promise<T> => this.#lost.write('expire', key, reply);
    if (ttlMs !== 0) return (await write(this.#batched().pexpire(key, ttlMs))) === 1;
    // PERSIST answers 0 both for a missing key and for one with no ttl; EXISTS in the same
    // transaction tells them apart.
    const replies = await write(this.#batched().multi().exists(key).persist(key).exec());
    return transactionResults(replies)[0] === 1;
  }

  async ttl(key: string): Promise<number | undefined> {
    const ms = await this.#batched().pttl(key).catch(this.#lost.readFailed);
    if (ms === -2) return undefined;
    return ms === -1 ? Infinity : ms;
  }

  async delete(key: string): Promise<number> {
    return this.#lost.write('delete', key, this.#batched().unlink(key));
  }

  async multiDelete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const only = keys.length === 1 ? keys[0] : undefined;
    const write = (reply: Promise<number>): Promise<number> => this.#lost.write('multiDelete', only, reply);
    if (!this.isCluster) return write(this.#batched().unlink(...keys));
    const counts = await perSlot(
      keys,
      (key) => key,
      (group) => write(this.client.unlink(...group.map(({ item }) => item))),
    );
    return sum(counts);
  }

  deletePattern(pattern: string): Promise<number> {
    return this.#lost.write('deletePattern', undefined, this.#masters.deletePattern(pattern));
  }

  async clear(prefix: string): Promise<void> {
    if (prefix !== '') {
      await this.#lost.write('clear', undefined, this.#masters.deletePattern(`${escapeGlob(prefix)}*`));
      return;
    }
    await this.#lost.write('clear', undefined, this.#masters.flush());
  }

  scan(pattern: string, count: number, signal?: AbortSignal): AsyncGenerator<string[]> {
    return this.#masters.scan(pattern, count, signal);
  }

  async compareAndSet(key: string, expected: unknown, value: unknown, ttlMs: number): Promise<boolean> {
    const args = [
      expected === undefined ? '0' : '1',
      expected === undefined ? '' : payloadOf(expected),
      payloadOf(value),
      ttlMs,
    ];
    const reply = this.#lost.write(
      'compareAndSet',
      key,
      this.#batched().eval(COMPARE_AND_SET, 1, key, ...args),
    );
    return (await reply) === 1;
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    const reply = this.#lost.write(
      'compareAndDelete',
      key,
      this.#batched().eval(COMPARE_AND_DELETE, 1, key, expected),
    );
    return (await reply) === 1;
  }

  async compareAndExpire(key: string, expected: string, ttlMs: number): Promise<boolean> {
    const reply = this.#lost.write(
      'compareAndExpire',
      key,
      this.#batched().eval(COMPARE_AND_EXPIRE, 1, key, expected, ttlMs),
    );
    return (await reply) === 1;
  }

  async raw(command: string, args: readonly unknown[]): Promise<unknown> {
    // Whether a raw command is a read cannot be told here: it is never sent twice.
    return this.#lost.write(
      command,
      undefined,
      this.#batched().call(command, ...(args as (string | number | Buffer)[])),
    );
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (!this.#ownsClient) {
      this.#lost.detach();
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

  // The server refused the db index asked for (SELECT 99 on a 16-db server); ioredis would go on
  // in db 0, where nothing may run: every command answers a ConfigError, and an owned client stops.
  #refusedDb(error: Error, fromUrl: boolean): void {
    const db = isCluster(this.client) ? undefined : this.client.options.db;
    const refused = new ConfigError(
      `Redis refused database ${db ?? '(unknown)'} (${error.message}): a server has 16 databases, ` +
        '0 to 15, unless its `databases` setting says otherwise',
      { path: fromUrl ? 'url.db' : 'db', cause: error },
    );
    this.#lost.fail(refused);
    this.#logger.error(refused.message);
    if (this.#ownsClient) this.client.disconnect();
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
}

// How long close() waits for QUIT's answer, and then for the socket to end.
const CLOSE_WAIT_MS = 1_000;

// Waits for `pending`, but no longer than `ms`; close() must finish even if Redis never answers.
function atMost(pending: Promise<unknown>, ms: number): Promise<unknown> {
  return settleWithin(pending, ms, undefined, () => new Error('gave up waiting')).catch(() => undefined);
}

function nothing(): void {}
