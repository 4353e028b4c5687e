import type { Cluster, Redis } from 'ioredis';
import { isReservedKey } from '../../glob.js';
import { RESERVED_KEY_PREFIX } from '../backend.js';
import type { Client } from './client.js';
import { isCluster } from './ioredis.js';
import type { LostReplies } from './lost-replies.js';
import { groupBySlot } from './slot.js';

/**
 * The operations that walk every master of a Redis deployment (one node, or each master of a
 * Cluster): `SCAN`-based pattern deletes and listings, and `FLUSHDB`.
 *
 * A Cluster client knows its masters only once its slot map has loaded: until then, and while the
 * cluster is unreachable, `nodes('master')` is empty, and walking it would answer "done" having
 * done nothing. So every walk first waits for the slot map (the caller's time limit bounds the
 * wait), and an empty map is an error.
 */
export class Masters {
  readonly #client: Client;
  readonly #lost: LostReplies;
  readonly #scanCount: number;
  // The wait for a Cluster's slot map, shared by every walk that needs it meanwhile.
  #slotMap: Promise<void> | undefined;

  constructor(client: Client, lost: LostReplies, scanCount: number) {
    this.#client = client;
    this.#lost = lost;
    this.#scanCount = scanCount;
  }

  /** Removes every key matching `pattern` (larder's own keys only if it asks for them); returns how many. */
  async deletePattern(pattern: string): Promise<number> {
    const masters = await this.#masters();
    return sum(await Promise.all(masters.map((node) => this.#scanAndUnlink(node, pattern))));
  }

  /** Empties the logical database on every master. */
  async flush(): Promise<void> {
    await Promise.all((await this.#masters()).map((node) => node.flushdb('ASYNC')));
  }

  /** Walks the keys matching `pattern`, master by master, in pages of about `count`. */
  async *scan(pattern: string, count: number, signal?: AbortSignal): AsyncGenerator<string[]> {
    const matches = ownKeysOf(pattern);
    for (const node of await this.#masters()) {
      let cursor = '0';
      do {
        if (signal?.aborted === true) return;
        const [next, found] = await node
          .scan(cursor, 'MATCH', pattern, 'COUNT', count)
          .catch(this.#lost.readFailed);
        cursor = next;
        const keys = found.filter(matches);
        if (keys.length > 0) yield keys;
      } while (cursor !== '0');
    }
  }

  async #masters(): Promise<Redis[]> {
    const client = this.#client;
    if (!isCluster(client)) return [client];
    if (client.status !== 'ready') {
      this.#slotMap ??= slotMapOf(client).finally(() => (this.#slotMap = undefined));
      await this.#slotMap;
    }
    const masters = client.nodes('master');
    if (masters.length === 0) throw new Error('the Redis Cluster has no reachable master');
    return masters;
  }

  // Follows SCAN's cursor until it returns to 0, unlinking each batch as it comes.
  async #scanAndUnlink(node: Redis, pattern: string): Promise<number> {
    const matches = ownKeysOf(pattern);
    const cluster = isCluster(this.#client);
    let removed = 0;
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', this.#scanCount);
      cursor = next;
      const keys = found.filter(matches);
      if (keys.length === 0) continue;
      if (!cluster) {
        removed += await node.unlink(...keys);
      } else {
        // One node holds many slots; a multi-key command must stay within one.
        removed += sum(
          await perSlot(
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

/** Runs `work` once per hash slot of the items, concurrently: one round trip in all. */
export function perSlot<T, R>(
  items: readonly T[],
  keyOf: (item: T) => string,
  work: (group: { item: T; index: number }[]) => Promise<R>,
): Promise<R[]> {
  return Promise.all([...groupBySlot(items, keyOf).values()].map(work));
}

export function sum(counts: readonly number[]): number {
  return counts.reduce((total, count) => total + count, 0);
}

// Resolves once the Cluster client has loaded its slot map; rejects if it gives up for good. A
// cluster that stays unreachable keeps it waiting, until the operation's time limit ends it.
function slotMapOf(cluster: Cluster): Promise<void> {
  if (cluster.status === 'end') return Promise.reject(new Error('the Redis Cluster connection is closed'));
  return new Promise((resolve, reject) => {
    const ready = (): void => {
      cluster.off('end', ended);
      resolve();
    };
    const ended = (): void => {
      cluster.off('ready', ready);
      reject(new Error('the Redis Cluster connection closed before its slot map loaded'));
    };
    cluster.once('ready', ready);
    cluster.once('end', ended);
    // A lazily connecting client connects on its first command; this walk sends none until ready.
    if (cluster.status === 'wait') cluster.connect().catch(() => undefined);
  });
}

// SCAN's MATCH has matched the pattern already (over bytes, exactly); what is left is to leave
// larder's own keys out, unless the pattern asks for them.
function ownKeysOf(pattern: string): (key: string) => boolean {
  return pattern.startsWith(RESERVED_KEY_PREFIX) ? () => true : (key) => !isReservedKey(key);
}
