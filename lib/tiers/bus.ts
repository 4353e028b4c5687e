import { randomBytes } from 'node:crypto';
import type { Client } from '../backends/redis/client.js';
import { isCluster } from '../backends/redis/ioredis.js';
import type { Logger } from '../logger.js';
import type { CacheTelemetry } from '../telemetry/cache-telemetry.js';
import { operationChannel } from '../telemetry/channels.js';
import { tracePublish } from '../telemetry/internal.js';
import type { InvalidationContext, InvalidationSink, InvalidationSource } from './invalidation.js';
import { Subscriber } from './subscriber.js';

/** The version of the bus's messages, part of the channel name: caches of another wire never mix. */
export const BUS_WIRE_VERSION = 1;

/**
 * The default channel of the bus for a db and namespace: caches over the same db and namespace
 * hear each other, and only them.
 */
export function busChannel(client: Client, namespace: string | undefined): string {
  const db = isCluster(client) ? 0 : (client.options.db ?? 0);
  return `larder:inv:${BUS_WIRE_VERSION}:${db}:${namespace ?? ''}`;
}

// A message: [wire version, sender id, 's' (set: expire) | 'd' (delete: remove), keys or null
// (the whole namespace)]. Keys only, never values.
type Message = [number, string, 's' | 'd', string[] | null];

/** Most keys the retry queue holds; beyond it, one whole-namespace expiry is sent instead. */
export const RETRY_QUEUE_LIMIT = 1_000;
const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 2_000;

/**
 * The pub/sub bus: after each acknowledged write, the cache publishes the keys it wrote on its
 * channel (`PUBLISH`, or `SPUBLISH` on a Cluster); every other cache on the channel expires
 * (`set`) or removes (`delete`) them in its L1, and ignores its own echo by the sender id. A
 * publish that fails goes to a bounded, de-duplicating retry queue; when the queue overflows it
 * is replaced by one whole-namespace expiry.
 */
export class Bus implements InvalidationSource {
  readonly kind = 'bus' as const;
  /** This cache's id in messages, to tell its own echo. */
  readonly id = randomBytes(9).toString('base64url');
  readonly #client: Client;
  readonly #channel: string;
  readonly #logger: Logger;
  readonly #subscriber: Subscriber;
  readonly #sharded: boolean;
  readonly #telemetry: CacheTelemetry | undefined;
  #sink: InvalidationSink | undefined;
  #started: Promise<void> | undefined;
  #resolveStarted: (() => void) | undefined;
  // Publishes to retry, by channel: per key the strongest op ('d' over 's'), or the whole namespace.
  readonly #queues = new Map<string, RetryQueue>();
  #retry: NodeJS.Timeout | undefined;
  #retries = 0;
  #closed = false;

  constructor(context: InvalidationContext) {
    this.#client = context.client;
    this.#channel = context.channel;
    this.#logger = context.logger;
    this.#sharded = isCluster(context.client);
    this.#telemetry = context.telemetry;
    this.#subscriber = new Subscriber(
      context.client,
      context.channel,
      context.healthCheckMs,
      context.logger,
      {
        message: (text) => this.#receive(text),
        up: () => {
          this.#sink?.up();
          this.#resolveStarted?.();
        },
        down: () => this.#sink?.down(),
      },
    );
  }

  /** The channel the bus publishes and listens on. */
  get channel(): string {
    return this.#channel;
  }

  /** How many keys wait in the retry queues (a whole-namespace expiry counts 1). */
  get queued(): number {
    let count = 0;
    for (const queue of this.#queues.values()) count += queue.all === undefined ? queue.keys.size : 1;
    return count;
  }

  start(sink: InvalidationSink): Promise<void> {
    if (this.#started !== undefined) return this.#started;
    this.#sink = sink;
    this.#started = new Promise((resolve) => (this.#resolveStarted = resolve));
    this.#subscriber.start();
    return this.#started;
  }

  published(op: 'set' | 'delete', keys: readonly string[] | undefined): void {
    this.publishedTo(this.#channel, op, keys);
  }

  /**
   * {@link published} on another namespace's channel: a write this cache made with a per-call
   * namespace, which the caches of that namespace must hear.
   */
  publishedTo(channel: string, op: 'set' | 'delete', keys: readonly string[] | undefined): void {
    if (this.#closed || keys?.length === 0) return;
    const kind = op === 'set' ? 's' : 'd';
    // What waits to be retried goes first, so that messages keep their order.
    if (this.#retry !== undefined || this.#queues.has(channel)) {
      this.#enqueue(channel, kind, keys);
      return;
    }
    const sent = keys === undefined ? null : [...keys];
    // Traced (as larder's own 'publish', inside the write that caused it) only while anyone listens.
    const answer = operationChannel.hasSubscribers
      ? tracePublish(this.#telemetry, sent, () => this.#send(channel, kind, sent))
      : this.#send(channel, kind, sent);
    answer.then(undefined, (error: unknown) => {
      this.#logger.warn({ err: error }, 'invalidation publish failed; it is queued for retry');
      this.#enqueue(channel, kind, keys);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#resolveStarted?.();
    await this.#subscriber.close();
  }

  #send(channel: string, kind: 's' | 'd', keys: string[] | null): Promise<unknown> {
    const message: Message = [BUS_WIRE_VERSION, this.id, kind, keys];
    const text = JSON.stringify(message);
    try {
      return this.#sharded ? this.#client.spublish(channel, text) : this.#client.publish(channel, text);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #receive(text: string): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      message = undefined;
    }
    if (!isMessage(message)) {
      // Someone else's traffic on our channel: nothing it says can be trusted to be complete.
      this.#logger.warn({ channel: this.#channel }, 'unreadable invalidation message; expiring the whole L1');
      sink.expireAll();
      return;
    }
    const [, sender, kind, keys] = message;
    if (sender === this.id) return;
    if (keys === null) {
      if (kind === 'd') sink.removeAll();
      else sink.expireAll();
    } else if (kind === 's') sink.expire(keys);
    else sink.remove(keys);
  }

  #enqueue(channel: string, kind: 's' | 'd', keys: readonly string[] | undefined): void {
    if (this.#closed) return;
    let queue = this.#queues.get(channel);
    if (queue === undefined) this.#queues.set(channel, (queue = { keys: new Map(), all: undefined }));
    if (keys === undefined || queue.all !== undefined) {
      queue.all = queue.all === 'd' || kind === 'd' ? 'd' : 's';
      queue.keys.clear();
    } else {
      for (const key of keys) if (queue.keys.get(key) !== 'd') queue.keys.set(key, kind);
      if (queue.keys.size > RETRY_QUEUE_LIMIT) {
        this.#logger.warn(
          { limit: RETRY_QUEUE_LIMIT, channel },
          'invalidation retry queue overflowed; one whole-namespace expiry replaces it',
        );
        // A lost delete must still remove: the expiry is a whole-namespace delete if one was queued.
        let deletes = false;
        for (const queued of queue.keys.values()) if (queued === 'd') deletes = true;
        queue.keys.clear();
        queue.all = deletes ? 'd' : 's';
      }
    }
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retry !== undefined || this.#closed) return;
    const wait = Math.min(FIRST_RETRY_MS * 2 ** Math.min(this.#retries, 10), LONGEST_RETRY_MS);
    this.#retry = setTimeout(() => void this.#flush(), wait).unref();
  }

  async #flush(): Promise<void> {
    const queues = [...this.#queues];
    this.#queues.clear();
    let failed = false;
    for (const [channel, { keys, all }] of queues) {
      const expired: string[] = [];
      const removed: string[] = [];
      for (const [key, kind] of keys) (kind === 'd' ? removed : expired).push(key);
      const sends: [kind: 's' | 'd', keys: string[] | null][] =
        all === undefined
          ? [
              ['s', expired],
              ['d', removed],
            ]
          : [[all, null]];
      for (const [kind, sent] of sends) {
        if (sent !== null && sent.length === 0) continue;
        try {
          if (failed) throw new Error('an earlier retry failed');
          await this.#send(channel, kind, sent);
        } catch {
          failed = true;
          this.#enqueue(channel, kind, sent ?? undefined);
        }
      }
    }
    this.#retry = undefined;
    if (failed) this.#retries++;
    else this.#retries = 0;
    if (this.#queues.size > 0) this.#scheduleRetry();
  }
}

// The publishes one channel waits to retry.
interface RetryQueue {
  readonly keys: Map<string, 's' | 'd'>;
  all: 's' | 'd' | undefined;
}

function isMessage(value: unknown): value is Message {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    value[0] === BUS_WIRE_VERSION &&
    typeof value[1] === 'string' &&
    (value[2] === 's' || value[2] === 'd') &&
    (value[3] === null || (Array.isArray(value[3]) && value[3].every((key) => typeof key === 'string')))
  );
}
