import type { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { OutcomeUnknownError } from '../../errors.js';
import type { Client } from './client.js';
import { isCluster } from './ioredis.js';

/**
 * The commands a {@link RedisBackend} has sent and not yet heard back from, and what becomes of
 * them when their connection drops before the reply comes.
 *
 * ioredis would resend them once it reconnects (`autoResendUnfulfilledCommands`), which applies a
 * write twice when Redis had run it and only the reply was lost: an `INCRBY` counts twice, a `SET
 * NX` answers "exists" to its own value, a late `SET` overwrites a newer value. larder's clients
 * have that option off, and then ioredis drops such a command without ever settling it; this
 * settles it instead:
 * - a write is never sent again: it rejects with {@link OutcomeUnknownError};
 * - a read is sent once more, on the next connection.
 *
 * A command goes out on the connection that is ready when it is issued, or, if none is, on the
 * next one to become ready (ioredis' offline queue). So each carries the number of that
 * connection, and a drop settles only the commands that may have been on the wire: a write still
 * waiting in the offline queue was never sent, and ioredis sends it once a connection is ready.
 * On a Cluster, a drop of any node's connection counts for every command in flight, as the node a
 * command went to (after redirections) is not known here: an unknown outcome there may be one
 * that would have been known.
 */
export class InFlight {
  readonly #pending = new Set<Pending>();
  // How many times a connection has become ready; the number of the current (or next) one.
  #readyCount: number;
  #ready: boolean;
  // What the connection last failed with, since it was last ready: the cause a failure reports.
  #lastError: Error | undefined;
  // An error every command answers with from now on (a db index the server refuses).
  #fatal: Error | undefined;

  readonly #client: Client;
  readonly #listeners: [event: string, listener: Parameters<EventEmitter['on']>[1]][];

  constructor(client: Client) {
    this.#client = client;
    this.#ready = client.status === 'ready';
    this.#readyCount = this.#ready ? 1 : 0;
    const onReady = (): void => {
      this.#ready = true;
      this.#readyCount++;
      this.#lastError = undefined;
    };
    const onError = (error: Error): void => {
      this.#lastError = error;
    };
    const onClose = (): void => {
      if (!this.#ready) return; // a connection attempt that failed: nothing was sent on it
      this.#ready = false;
      this.#dropped();
    };
    if (isCluster(client)) {
      const onNodeClose = (): void => this.#dropped();
      const watch = (node: Redis): void => void node.on('close', onNodeClose);
      client.nodes('all').forEach(watch);
      this.#listeners = [
        ['+node', watch],
        ['close', () => (this.#ready = false)],
      ];
    } else {
      this.#listeners = [['close', onClose]];
    }
    this.#listeners.push(['ready', onReady], ['error', onError]);
    const emitter: EventEmitter = client;
    for (const [event, listener] of this.#listeners) emitter.on(event, listener);
  }

  /** Stops watching the client (one the backend was given and does not own). */
  detach(): void {
    const emitter: EventEmitter = this.#client;
    for (const [event, listener] of this.#listeners) emitter.off(event, listener);
  }

  /** Sends a read, and sends it once more should its connection drop before the reply. */
  read<T>(send: () => Promise<T>): Promise<T> {
    return this.#track(send, undefined);
  }

  /** Sends a write, which is never sent again: a lost reply is an {@link OutcomeUnknownError}. */
  write<T>(op: string, key: string | undefined, send: () => Promise<T>): Promise<T> {
    return this.#track(send, { op, key });
  }

  /** Settles every command in flight, and every later one, with `error`: the connection is unusable. */
  fail(error: Error): void {
    this.#fatal = error;
    for (const entry of this.#pending) entry.reject(error);
    this.#pending.clear();
  }

  #track<T>(send: () => Promise<T>, write: Write | undefined): Promise<T> {
    if (this.#fatal !== undefined) return Promise.reject(this.#fatal);
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        send,
        write,
        resolve: resolve as (value: unknown) => void,
        reject,
        wire: this.#wire(),
        attempt: 0,
      };
      this.#pending.add(entry);
      this.#send(entry);
    });
  }

  #send(entry: Pending): void {
    const attempt = ++entry.attempt;
    // A reply to an earlier attempt (ioredis may yet settle a dropped command, e.g. when it gives
    // up reconnecting) is not the answer: only the latest attempt's counts.
    const settle = (ok: boolean, outcome: unknown): void => {
      if (entry.attempt !== attempt || !this.#pending.delete(entry)) return;
      if (ok) entry.resolve(outcome);
      else entry.reject(this.#explain(outcome));
    };
    let reply: Promise<unknown>;
    try {
      reply = entry.send();
    } catch (error) {
      settle(false, error);
      return;
    }
    reply.then(
      (value) => settle(true, value),
      (error: unknown) => settle(false, error),
    );
  }

  #wire(): number {
    return this.#ready ? this.#readyCount : this.#readyCount + 1;
  }

  // A connection dropped: settle what may have been on it.
  #dropped(): void {
    const cause = this.#lastError ?? new Error('the connection closed');
    for (const entry of this.#pending) {
      if (entry.wire > this.#readyCount) continue; // still in the offline queue, never sent
      if (entry.write === undefined && entry.attempt === 1) {
        entry.wire = this.#wire();
        this.#send(entry);
      } else {
        this.#pending.delete(entry);
        entry.reject(
          entry.write === undefined
            ? cause
            : new OutcomeUnknownError(entry.write.op, 'redis', cause, entry.write.key),
        );
      }
    }
  }

  // ioredis says "Reached the max retries per request limit" or "Connection is closed" when it gives
  // a command up; what the user can act on is why the connection failed (ECONNREFUSED host:port).
  #explain(error: unknown): unknown {
    if (this.#fatal !== undefined) return this.#fatal;
    if (this.#lastError === undefined || !(error instanceof Error)) return error;
    const givenUp = error.name === 'MaxRetriesPerRequestError' || error.message === 'Connection is closed.';
    return givenUp ? this.#lastError : error;
  }
}

interface Write {
  readonly op: string;
  readonly key: string | undefined;
}

interface Pending {
  readonly send: () => Promise<unknown>;
  readonly write: Write | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  wire: number;
  attempt: number;
}
