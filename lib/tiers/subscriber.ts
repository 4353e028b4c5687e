import type { Redis } from 'ioredis';
import type { Cluster } from 'ioredis';
import type { Client } from '../backends/redis/client.js';
import { ioredis, isCluster } from '../backends/redis/ioredis.js';
import { keySlot } from '../backends/redis/slot.js';
import type { Logger } from '../logger.js';

/** What a {@link Subscriber} reports. */
export interface SubscriberEvents {
  /** A message on the channel. */
  message(text: string): void;
  /** Subscribed (first time, or again after a gap). */
  up(): void;
  /** Not hearing any more: closed, refused, moved, or a health check unanswered. */
  down(): void;
}

// Reconnection backoff: from the first retry to the longest wait between two.
const FIRST_RETRY_MS = 50;
const LONGEST_RETRY_MS = 2_000;

/**
 * One dedicated pub/sub connection listening on one channel, which knows when it stops hearing.
 * It manages its own connection rather than leaving it to ioredis' reconnection, because every
 * (re)subscription must be reported (a gap expires the L1) and because a connection that is open
 * but silent (a black-holed network) must be found by a health-check `PING` and replaced. On a
 * Cluster the channel is a shard channel (`SSUBSCRIBE`), listened to on the master that owns its
 * slot; when the slot moves (failover, resharding) the server unsubscribes it, which is a gap too.
 */
export class Subscriber {
  readonly #client: Client;
  readonly #channel: string;
  readonly #sharded: boolean;
  readonly #healthCheckMs: number;
  readonly #logger: Logger;
  readonly #events: SubscriberEvents;
  #connection: Redis | undefined;
  #subscribed = false;
  #connectingSince = 0;
  #pinging = false;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;
  #health: NodeJS.Timeout | undefined;
  #closed = false;
  // Where a MOVED reply to SSUBSCRIBE said the channel's slot is now, ahead of the Cluster
  // client's own slot table (which learns of a move only from its own commands, or later).
  #movedTo: string | undefined;

  constructor(
    client: Client,
    channel: string,
    healthCheckMs: number,
    logger: Logger,
    events: SubscriberEvents,
  ) {
    this.#client = client;
    this.#channel = channel;
    this.#sharded = isCluster(client);
    this.#healthCheckMs = healthCheckMs;
    this.#logger = logger;
    this.#events = events;
  }

  /** Whether the channel is a shard channel (a Cluster). */
  get sharded(): boolean {
    return this.#sharded;
  }

  /** Connects and subscribes; reconnects on its own until {@link close}. */
  start(): void {
    if (this.#healthCheckMs > 0) {
      this.#health = setInterval(() => this.#checkHealth(), this.#healthCheckMs).unref();
    }
    this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#health);
    const connection = this.#connection;
    this.#connection = undefined;
    connection?.disconnect();
  }

  #connect(): void {
    this.#retry = undefined;
    if (this.#closed) return;
    let connection: Redis;
    try {
      connection = this.#open();
    } catch (error) {
      this.#logger.debug({ err: error }, 'invalidation subscriber cannot connect yet');
      this.#scheduleRetry();
      return;
    }
    this.#connection = connection;
    this.#subscribed = false;
    this.#pinging = false;
    this.#connectingSince = Date.now();
    connection.on('error', (error: Error) =>
      this.#logger.debug({ err: error }, 'invalidation subscriber connection error'),
    );
    connection.on(this.#sharded ? 'smessage' : 'message', (channel: string, text: string) => {
      if (channel === this.#channel && connection === this.#connection) this.#events.message(text);
    });
    connection.on('moved', () => this.#lost(connection, 'its slot moved'));
    connection.once('close', () => this.#lost(connection, 'the connection closed'));
    connection
      .connect()
      .then(() =>
        this.#sharded ? connection.ssubscribe(this.#channel) : connection.subscribe(this.#channel),
      )
      .then(
        () => {
          if (connection !== this.#connection) return;
          this.#subscribed = true;
          if (this.#failures > 0) this.#logger.info('invalidation subscriber listening again');
          this.#failures = 0;
          this.#events.up();
        },
        (error: unknown) => {
          const moved = error instanceof Error ? /^MOVED \d+ (\S+)/.exec(error.message) : null;
          if (moved !== null) this.#movedTo = moved[1];
          this.#logger.debug({ err: error }, 'invalidation subscriber could not subscribe');
          this.#lost(connection, 'subscribing failed');
        },
      );
  }

  // A connection of its own: the data client's duplicate, or on a Cluster a connection to the
  // master that owns the channel's slot now.
  #open(): Redis {
    const own = {
      lazyConnect: true,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    };
    if (!isCluster(this.#client)) return this.#client.duplicate(own) as unknown as Redis;
    const cluster: Cluster = this.#client;
    const owner = this.#movedTo ?? cluster.slots[keySlot(this.#channel)]?.[0];
    this.#movedTo = undefined;
    if (owner === undefined) throw new Error('the Cluster has not told which master owns the channel yet');
    const at = owner.lastIndexOf(':');
    return new (ioredis().Redis)({
      ...cluster.options.redisOptions,
      host: owner.slice(0, at),
      port: Number(owner.slice(at + 1)),
      ...own,
    });
  }

  #lost(connection: Redis, why: string): void {
    if (connection !== this.#connection) return;
    this.#connection = undefined;
    if (this.#subscribed || this.#failures === 0) {
      this.#logger.warn({ why }, 'invalidation subscriber lost; the L1 is degraded until it is back');
    }
    this.#subscribed = false;
    this.#events.down();
    connection.removeAllListeners('close');
    connection.disconnect();
    this.#failures++;
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retry !== undefined) return;
    const wait = Math.min(FIRST_RETRY_MS * 2 ** Math.min(this.#failures, 10), LONGEST_RETRY_MS);
    this.#retry = setTimeout(() => this.#connect(), wait).unref();
  }

  // A silent break (no FIN, no RST: a black-holed network) leaves the socket open and the channel
  // quiet, which looks like no writes at all. A PING unanswered by the next check, or a connection
  // that has not subscribed within two checks, is taken for a break.
  #checkHealth(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    if (!this.#subscribed) {
      if (Date.now() - this.#connectingSince > 2 * this.#healthCheckMs)
        this.#lost(connection, 'connecting took too long');
      return;
    }
    if (this.#pinging) return this.#lost(connection, 'a health-check PING went unanswered');
    this.#pinging = true;
    connection.ping().then(
      () => {
        if (connection === this.#connection) this.#pinging = false;
      },
      () => undefined,
    );
  }
}
