import type { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { OutcomeUnknownError } from '../../errors.js';
import type { Client } from './client.js';
import { isCluster } from './ioredis.js';

/**
 * What becomes of the commands a {@link RedisBackend}'s connection had sent and not yet heard back
 * from when it drops.
 *
 * ioredis resends them once it reconnects (`autoResendUnfulfilledCommands`), and a Cluster resends
 * them on another node: that applies a write twice when Redis had run it and only the reply was
 * lost (an `INCRBY` counts twice, a `SET NX` answers "exists" to its own value, a late `SET`
 * overwrites a newer value). So at the moment a connection closes, before ioredis decides what to
 * resend, this takes every write out of the connection's queue of unanswered commands and rejects
 * it; the backend method it belongs to reports an {@link OutcomeUnknownError}. Reads stay in the
 * queue, and ioredis sends them again. Nothing is added to a command's own path: the work happens
 * only when a connection drops.
 *
 * Commands still in ioredis' offline queue were never sent, and are left alone. A client given to
 * the backend is treated the same way: its other users' writes are never resent either.
 *
 * This reads ioredis' queue of unanswered commands (`commandQueue`, public in its typings) and each
 * queued command's name and pipeline position; the tests through a TCP proxy that drops a reply
 * (test/integration/lost-reply.test.ts) check it against the installed ioredis.
 */
export class LostReplies {
  readonly #listeners: [emitter: EventEmitter, event: string, listener: Parameters<EventEmitter['on']>[1]][] =
    [];
  // What the connection last failed with, since it was last ready: the cause a failure reports.
  #lastError: Error | undefined;
  // An error every failure answers with from now on (a db index the server refuses).
  #fatal: Error | undefined;

  constructor(client: Client) {
    const watch = (node: Redis): void => {
      // Whether the connection got as far as ready: a connection attempt that failed sent nothing.
      let ready = node.status === 'ready';
      this.#listen(node, 'ready', () => (ready = true));
      this.#listen(node, 'close', () => {
        if (ready) this.#takeWritesOut(node);
        ready = false;
      });
    };
    if (isCluster(client)) {
      client.nodes('all').forEach(watch);
      this.#listen(client, '+node', watch);
    } else {
      watch(client);
    }
    this.#listen(client, 'ready', () => (this.#lastError = undefined));
    this.#listen(client, 'error', (error: Error) => (this.#lastError = error));
  }

  /** From now on every failure is `error`: the connection is unusable (a refused db index). */
  fail(error: Error): void {
    this.#fatal = error;
  }

  /**
   * What a failed command is reported as: `error` itself, unless the connection is unusable, or
   * ioredis gave the command up ("max retries per request", "Connection is closed"), when what the
   * user can act on is why the connection failed (`connect ECONNREFUSED 127.0.0.1:6390`).
   */
  readonly explain = (error: unknown): unknown => {
    if (this.#fatal !== undefined) return this.#fatal;
    if (this.#lastError === undefined || !(error instanceof Error)) return error;
    const givenUp = error.name === 'MaxRetriesPerRequestError' || error.message === 'Connection is closed.';
    return givenUp ? this.#lastError : error;
  };

  /** For a read's rejection: throws what {@link explain} makes of it. */
  readonly readFailed = (error: unknown): never => {
    throw this.explain(error);
  };

  /**
   * What a failed write of the backend operation `op` (on `key`, when it has one) is reported as:
   * an OutcomeUnknownError if a dropped connection took it out, else what {@link explain} says.
   */
  failure(error: unknown, op: string, key: string | undefined): unknown {
    return error instanceof ReplyLost
      ? new OutcomeUnknownError(op, 'redis', error.cause, key)
      : this.explain(error);
  }

  /** `reply`, its failure reported as {@link failure} says. */
  write<T>(op: string, key: string | undefined, reply: Promise<T>): Promise<T> {
    return reply.catch((error: unknown) => {
      throw this.failure(error, op, key);
    });
  }

  /** Stops watching the client (one the backend was given and does not own). */
  detach(): void {
    for (const [emitter, event, listener] of this.#listeners) emitter.off(event, listener);
  }

  #listen(emitter: EventEmitter, event: string, listener: Parameters<EventEmitter['on']>[1]): void {
    emitter.on(event, listener);
    this.#listeners.push([emitter, event, listener]);
  }

  // Runs as the connection closes, before ioredis keeps its unanswered commands for a resend.
  #takeWritesOut(node: Redis): void {
    const queue = node.commandQueue;
    if (queue.length === 0) return;
    const items: QueueItem[] = [];
    while (queue.length > 0) items.push(queue.shift()!);
    const lost = new ReplyLost(this.#lastError ?? new Error('the connection closed'));
    // A pipeline (a MULTI … EXEC among them) goes as a whole: its commands sit together in the
    // queue, numbered from 0. One write in it, and all of it is taken out.
    for (let start = 0; start < items.length;) {
      let end = start + 1;
      if (pipelineIndexOf(items[start]!) !== undefined) {
        while (end < items.length && (pipelineIndexOf(items[end]!) ?? 0) > 0) end++;
      }
      const group = items.slice(start, end);
      if (group.every((item) => READS.has(item.command.name.toLowerCase()))) {
        for (const item of group) queue.push(item);
      } else {
        for (const item of group) item.command.reject(lost);
      }
      start = end;
    }
  }
}

type QueueItem = NonNullable<ReturnType<Redis['commandQueue']['shift']>>;

// A queued command's position in its pipeline: ioredis' Command carries it (undefined outside a
// pipeline), though its typings' Respondable does not say so.
function pipelineIndexOf(item: QueueItem): number | undefined {
  return (item.command as { readonly pipelineIndex?: number }).pipelineIndex;
}

/** Whether `error` is what a command taken out of a dropped connection's queue rejects with. */
export function isReplyLost(error: unknown): boolean {
  return error instanceof ReplyLost;
}

/** A write taken out of a dropped connection's queue: it may or may not have run. */
class ReplyLost extends Error {
  constructor(override readonly cause: Error) {
    super(`the reply was lost: ${cause.message}`);
  }
}

// The commands whose resend changes nothing, of those a RedisBackend and ioredis' handshake send;
// every other command (raw ones included) counts as a write. MULTI and EXEC are here so that a
// transaction of reads alone (getWithTtl's GET + PTTL, stat's PTTL + GETRANGE) is a read; one write
// in it makes it a write.
const READS: ReadonlySet<string> = new Set([
  'multi',
  'exec',
  'get',
  'getrange',
  'mget',
  'exists',
  'pttl',
  'ttl',
  'scan',
  'ping',
  'info',
  'dbsize',
  'type',
  'strlen',
  'cluster',
  'select',
  'client',
  'hello',
  'auth',
  'readonly',
]);
