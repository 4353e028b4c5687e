import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../../logger.js';
import { settleWithin } from '../../promise.js';
import { ioredis } from './ioredis.js';
import { trackingArguments } from './tracking-prefixes.js';
import { isRefusal, TrackingRefusedError } from './tracking-refused.js';

/** The channel Redis publishes invalidations on to a RESP2 connection that tracking redirects to. */
export const INVALIDATION_CHANNEL = '__redis__:invalidate';

/**
 * Where one node's tracking connection is: `connecting` before its first attempt ended, `live`
 * while tracking is on and the connection subscribed (every write under the prefixes is seen),
 * `down` between connections (writes go unseen), `refused` once the server said no for good,
 * `closed` after {@link TrackingConnection.close}.
 */
export type TrackingState = 'connecting' | 'live' | 'down' | 'refused' | 'closed';

/** What a {@link TrackingConnection} reports to its owner. */
export interface TrackingEvents {
  /** Redis invalidated `keys`; `null` for every key (`FLUSHDB`, `FLUSHALL`). */
  invalidated(keys: string[] | null): void;
  /** The connection's {@link TrackingState} changed. */
  changed(): void;
}

/** Options of a {@link TrackingConnection}. */
export interface TrackingConnectionOptions {
  /** How to reach the node: the data client's options (as ioredis' `duplicate()` would take them). */
  readonly node: RedisOptions;
  /** The node as `host:port`, for logs and errors. */
  readonly label: string;
  /** The merged prefixes to track (see mergePrefixes). */
  readonly prefixes: readonly string[];
  /** How often the subscriber is pinged, in ms (0: never); a PING unanswered by the next one means a silent break. */
  readonly healthCheckMs: number;
  readonly logger: Logger;
  readonly events: TrackingEvents;
}

// RESP2, since ioredis drops RESP3 invalidate pushes; no ready check, offline queue or resending,
// since every command here is sent on a connection known to be up and is bounded in time by this
// class; no reconnecting either: tracking dies with its connection, so each connection is a new
// session that sets tracking up from the start (see #connect).
const SESSION_OPTIONS: RedisOptions = {
  protocol: 2,
  lazyConnect: true,
  enableReadyCheck: false,
  enableOfflineQueue: false,
  autoResubscribe: false,
  autoResendUnfulfilledCommands: false,
  enableAutoPipelining: false,
  readOnly: false,
  retryStrategy: () => null,
  reconnectOnError: null,
};

const MAX_RETRY_DELAY_MS = 2_000;

/**
 * One dedicated RESP2 connection to one Redis node (a single node, or a Cluster's master) on which
 * Redis tracks the keys under some prefixes and sends their invalidations: `CLIENT ID`, then
 * `CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX …`, then `SUBSCRIBE __redis__:invalidate`.
 * A RESP2 connection can send no other command once subscribed, so it redirects to itself before.
 *
 * A lost connection takes its tracking with it: the next one, tried with a growing delay (up to
 * 2 s), sets everything up again. A `PING` every `healthCheckMs` finds a connection that broke
 * without closing (a dead peer, a black hole): one still unanswered at the next is taken as lost.
 */
export class TrackingConnection {
  readonly label: string;
  readonly prefixes: readonly string[];
  #state: TrackingState = 'connecting';
  #refusal: TrackingRefusedError | undefined;
  readonly #options: TrackingConnectionOptions;
  // The connection of the current session, if one is open or opening.
  #session: Redis | undefined;
  #attempts = 0;
  #retry: NodeJS.Timeout | undefined;
  #health: NodeJS.Timeout | undefined;
  #settle!: () => void;
  /** Resolves once the first attempt ended (the state left `connecting`). */
  readonly settled = new Promise<void>((resolve) => (this.#settle = resolve));

  constructor(options: TrackingConnectionOptions) {
    this.#options = options;
    this.label = options.label;
    this.prefixes = options.prefixes;
    this.#connect();
  }

  get state(): TrackingState {
    return this.#state;
  }

  /** Why the server refused, once {@link state} is `refused`. */
  get refusal(): TrackingRefusedError | undefined {
    return this.#refusal;
  }

  /** Closes the connection for good; nothing is reported after. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#retry);
    this.#end();
    this.#settle();
  }

  #connect(): void {
    this.#retry = undefined;
    const redis = new (ioredis().Redis)({ ...this.#options.node, ...SESSION_OPTIONS });
    this.#session = redis;
    redis.on('error', (error: Error) =>
      this.#options.logger.debug({ err: error, node: this.label }, 'tracking connection error'),
    );
    redis.on('messageBuffer', (channel: Buffer, message: unknown) => {
      if (this.#session === redis && channel.toString() === INVALIDATION_CHANNEL) {
        this.#options.events.invalidated(keysOf(message));
      }
    });
    redis.once('close', () => this.#lost(redis, 'the connection closed'));
    void this.#setUp(redis);
  }

  async #setUp(redis: Redis): Promise<void> {
    // A generous bound (not less than 2 s) for each step, so a loaded machine does not turn a slow
    // answer into a retry loop, while a black hole is still left behind.
    const limit = Math.max(this.#options.healthCheckMs, 2_000);
    const timedOut = (): Error => new Error(`no answer from ${this.label} within ${limit} ms`);
    try {
      await settleWithin(redis.connect(), limit, undefined, timedOut);
      const id = await settleWithin(redis.client('ID'), limit, undefined, timedOut);
      // Sent together, to keep short the moment between them in which an invalidation is lost
      // (it reaches this connection only once subscribed). Nothing depends on it being nil: the
      // L1 expires what it filled before it is told `up()`, which comes after.
      const tracking = redis.call('CLIENT', ...trackingArguments(String(id), this.prefixes));
      const subscribed = redis.subscribe(INVALIDATION_CHANNEL);
      await settleWithin(Promise.all([tracking, subscribed]), limit, undefined, timedOut);
    } catch (error) {
      if (this.#session !== redis) return;
      if (isReply(error) && isRefusal(error)) this.#refused(redis, error);
      else this.#lost(redis, error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.#session !== redis) return;
    this.#attempts = 0;
    if (this.#options.healthCheckMs > 0) this.#startHealthCheck(redis);
    this.#set('live');
  }

  #startHealthCheck(redis: Redis): void {
    let answered = true;
    this.#health = setInterval(() => {
      if (!answered) {
        this.#lost(redis, `no PING reply within ${this.#options.healthCheckMs} ms`);
        return;
      }
      answered = false;
      redis.ping().then(
        () => (answered = true),
        () => undefined,
      );
    }, this.#options.healthCheckMs);
    this.#health.unref();
  }

  #lost(redis: Redis, reason: string): void {
    if (this.#session !== redis) return;
    this.#end();
    if (this.#state === 'closed') return;
    this.#options.logger.debug({ node: this.label, reason }, 'tracking connection lost; reconnecting');
    const delay = Math.min(100 * 2 ** this.#attempts, MAX_RETRY_DELAY_MS);
    this.#attempts++;
    this.#retry = setTimeout(() => this.#connect(), delay);
    this.#retry.unref();
    this.#set('down');
  }

  #refused(redis: Redis, reply: Error): void {
    if (this.#session !== redis) return;
    this.#end();
    this.#refusal = new TrackingRefusedError(this.label, reply);
    this.#set('refused');
  }

  // Leaves the current session's connection behind at once: a broken one may never finish a
  // polite close, so its socket is destroyed rather than waited for.
  #end(): void {
    clearInterval(this.#health);
    this.#health = undefined;
    const redis = this.#session;
    this.#session = undefined;
    if (redis === undefined) return;
    redis.disconnect();
    (redis.stream as Redis['stream'] | undefined)?.destroy();
  }

  #set(state: TrackingState): void {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    this.#settle();
    this.#options.events.changed();
  }
}

// Whether an error is the server's answer (rather than the connection's failure).
function isReply(error: unknown): error is Error {
  return error instanceof (ioredis().ReplyError as new (...args: never[]) => Error);
}

// An invalidation message's payload in RESP2: an array of keys, or null for "every key".
function keysOf(message: unknown): string[] | null {
  if (message === null || message === undefined) return null;
  if (Array.isArray(message)) return message.map(String);
  return [String(message)];
}
