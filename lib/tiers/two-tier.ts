import type { KeyHandle } from '../backends/backend.js';
import type { CacheCore } from '../cache-core.js';
import { namespaceOf } from '../key-space.js';
import type { GetOptions, OperationOptions } from '../options.js';
import { keysOf } from '../arguments.js';
import type { Tier } from '../plugins/plugin.js';
import { LATER } from '../read-now.js';
import { listensForInvalidations, operationChannel } from '../telemetry/channels.js';
import { publishedOut, type InvalidationNames } from '../telemetry/l1-telemetry.js';
import { Bus } from './bus.js';
import type { InvalidationSource } from './invalidation.js';
import type { L1Store } from './l1-store.js';
import { taggedEntry } from '../tags/tagged-operations.js';
import { fillTagged, heldTagged } from './l1-tags.js';

/** What a write tells the tiers once the backend acknowledged it (see {@link TwoTier.written}). */
export interface WriteNotice {
  /**
   * `'set'` for a write that leaves a (possibly other) value (the other L1s expire their entries
   * and keep them for staleIfError), `'delete'` for one that removes it or ends its life
   * (`delete`, `expire`: they drop them); `finalKeys` `undefined` for the whole namespace (clear,
   * deletePattern).
   */
  written(kind: 'set' | 'delete', finalKeys: readonly string[] | undefined, options?: OperationOptions): void;
}

/** What a read found in the L2, with what was left of its ttl there. */
interface Found {
  readonly payload: unknown;
  readonly ttlMs: number;
}

/**
 * The L1 in front of a cache's backend: the read path that serves it and fills it per key, and
 * what each acknowledged write does to it and tells the other caches. The cache's get and the
 * read-throughs come here when the cache has an L1; without one, none of this is on their path.
 * The L1 holds the cache's own namespace only: a call with another namespace reads past it (the
 * bus tells the caches of each namespace on that namespace's channel).
 */
export class TwoTier<V> implements WriteNotice {
  readonly l1: L1Store;
  /** What keeps the L1 coherent; `undefined` with `invalidation: 'none'`. */
  source: InvalidationSource | undefined;
  readonly #core: CacheCore<V>;
  // Whether a plugin observes gets (then every read goes through the runner, to be seen).
  readonly #observed: boolean;
  readonly #namespace: string | undefined;
  readonly #readsTtl: boolean;
  #closed = false;
  readonly #channelOf: ((namespace: string | undefined) => string) | undefined;

  /**
   * @param channelOf - the bus channel of another namespace, for writes made with a per-call
   *   namespace (undefined when none can be derived: a channel of the user's own, no bus).
   */
  constructor(
    core: CacheCore<V>,
    l1: L1Store,
    source: InvalidationSource | undefined,
    channelOf?: (namespace: string | undefined) => string,
  ) {
    this.#core = core;
    this.#channelOf = channelOf;
    this.l1 = l1;
    this.source = source;
    this.#observed = core.runner.observes('get');
    this.#namespace = core.keys.namespace;
    this.#readsTtl = core.capabilities.getWithTtl;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Stops the invalidation source (its connection and timers). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.source?.close();
  }

  /** `'off'` without invalidation, else whether the L1 is served as fresh. */
  get coherence(): 'live' | 'degraded' | 'off' {
    return this.source === undefined ? 'off' : this.l1.coherence;
  }

  /** Cache.get with an L1: a hit answers on the spot; a miss reads the L2 and fills the L1. */
  get<D>(
    key: unknown,
    options: GetOptions<D> | undefined,
    noted?: (tier: Tier) => void,
  ): Promise<V | D | undefined> {
    // Traced calls (larder:operation has subscribers) go through the runner, as observed ones do.
    const quiet = !this.#observed && !operationChannel.hasSubscribers;
    if (options === undefined && quiet) {
      // The hit path: no options to weigh, nothing observing, and a remembered key's handle.
      let hit: unknown;
      try {
        const keys = this.#core.keys;
        hit = keys.remembers ? this.l1.getByHandle(keys.handle(key)!) : this.l1.get(keys.finalKey(key));
      } catch (error) {
        return Promise.reject(error);
      }
      if (hit !== undefined) {
        noted?.('l1');
        return Promise.resolve(hit as V);
      }
    }
    const own = this.#ownSpace(options);
    const serves = own && options?.l1 !== false;
    if (serves && quiet) {
      let finalKey: string;
      try {
        finalKey = this.#core.keys.finalKey(key, options);
      } catch (error) {
        return Promise.reject(error);
      }
      const hit = this.l1.get(finalKey);
      if (hit !== undefined) {
        noted?.('l1');
        return Promise.resolve(hit as V);
      }
    }
    let tier: Tier | undefined;
    const read = this.#core.run(
      'get',
      key,
      options,
      undefined,
      () => {
        const finalKey = this.#core.keys.finalKey(key, options);
        if (serves) {
          const hit = this.l1.get(finalKey);
          if (hit !== undefined) {
            tier = 'l1';
            noted?.('l1');
            return hit as V;
          }
        }
        tier = 'l2';
        const read = this.#readMissed(key, finalKey, own, serves);
        if (noted === undefined) return read;
        return this.#core.then(read, (value) => {
          if (value !== undefined) noted('l2');
          return value;
        });
      },
      () => tier,
    );
    return options?.default === undefined
      ? read
      : read.then((value) => (value === undefined ? options.default : value));
  }

  /** Cache.multiGet with an L1: each key from the L1 if it holds it, the others from the L2. */
  multiGet(
    keys: readonly unknown[],
    options: OperationOptions | undefined,
    noted?: (index: number, tier: Tier) => void,
  ): Promise<(V | undefined)[]> {
    const own = this.#ownSpace(options);
    const serves = own && options?.l1 !== false;
    let tier: Tier | undefined;
    return this.#core.runner.run({
      op: 'multiGet',
      keys,
      options,
      fallback: () => keysOf(keys).map(() => undefined),
      tierOf: () => tier,
      work: () => {
        const finalKeys = keysOf(keys).map((key) => this.#core.keys.finalKey(key, options));
        const values = finalKeys.map((finalKey) =>
          serves ? (this.l1.get(finalKey) as V | undefined) : undefined,
        );
        const missing: number[] = [];
        values.forEach((value, i) => (value === undefined ? missing.push(i) : noted?.(i, 'l1')));
        tier = missing.length === 0 ? 'l1' : 'l2';
        if (missing.length === 0) return values;
        const reads = missing.map((i) => this.#readMissed(keys[i], finalKeys[i]!, own, serves));
        return Promise.all(reads).then((read) => {
          missing.forEach((index, i) => {
            values[index] = read[i];
            if (read[i] !== undefined) noted?.(index, 'l2');
          });
          return values;
        });
      },
    });
  }

  /** The read-throughs' read on the spot (see Cache[readNow]): an L1 hit, or LATER. */
  now(target: KeyHandle | string): V | typeof LATER {
    if (this.#observed) return LATER;
    let hit: unknown;
    try {
      hit =
        typeof target === 'string'
          ? this.l1.get(this.#core.keys.finalKey(target))
          : this.l1.getByHandle(target);
    } catch {
      return LATER;
    }
    return hit === undefined ? LATER : (hit as V);
  }

  /** An L1 hit for a caller's key in the cache's own key space, or `undefined` (also for a bad key). */
  hit(key: unknown): V | undefined {
    if (this.#observed) return undefined;
    try {
      return this.l1.get(this.#core.keys.finalKey(key)) as V | undefined;
    } catch {
      return undefined;
    }
  }

  /** Cache.peek with an L1: the L1's fresh value of `key` in the cache's own key space. */
  peek(key: unknown): V | undefined {
    return this.l1.get(this.#core.keys.finalKey(key)) as V | undefined;
  }

  written(
    kind: 'set' | 'delete',
    finalKeys: readonly string[] | undefined,
    options?: OperationOptions,
  ): void {
    // A clear of the root namespace reaches every namespace's keys, this one's too.
    const root = finalKeys === undefined && options?.namespace === '';
    if (!root && !this.#ownSpace(options)) {
      // Another namespace's caches listen on that namespace's channel (tracking needs no help).
      const source = this.source;
      if (source instanceof Bus && this.#channelOf !== undefined) {
        const namespace = namespaceOf(options!.namespace, 'options.namespace');
        source.publishedTo(this.#channelOf(namespace), kind, finalKeys);
        if (listensForInvalidations()) publishedOut(this.#names(namespace ?? ''), finalKeys, false);
      }
      return;
    }
    if (finalKeys === undefined) this.l1.removeAll();
    else this.l1.remove(finalKeys);
    this.source?.published(kind, finalKeys);
    if (this.source instanceof Bus && listensForInvalidations())
      publishedOut(this.#names(root ? '' : undefined), finalKeys, root);
  }

  // What a read the L1 missed answers: a tagged entry the L1 holds but whose tokens it does not
  // (read, and the entry served if they are its own), else the L2's.
  #readMissed(
    key: unknown,
    finalKey: string,
    own: boolean,
    serves: boolean,
  ): V | undefined | PromiseLike<V | undefined> {
    const held = serves ? heldTagged(this.#core, this.l1, finalKey) : undefined;
    if (held === undefined) return this.#readL2(key, finalKey, own);
    return held.then((value) => (value !== undefined ? value : this.#readL2(key, finalKey, own)));
  }

  // Reads the L2, and fills the L1 with what it found, unless an invalidation of the key (or a
  // gap) came while the read was on its way: the generation taken before it is sent guards that.
  #readL2(key: unknown, finalKey: string, fills: boolean): V | undefined | PromiseLike<V | undefined> {
    const { port, codec } = this.#core;
    if (!fills || this.l1.coherence !== 'live') {
      return this.#core.then(port.get(finalKey), (payload) =>
        payload === undefined ? undefined : this.#core.decodeStored(payload, key),
      ) as V | undefined | PromiseLike<V | undefined>;
    }
    const ticket = this.l1.begin(finalKey);
    let answer: PromiseLike<Found | undefined>;
    try {
      answer = this.#readWithTtl(finalKey);
    } catch (error) {
      this.l1.abandon(ticket);
      throw error;
    }
    return answer.then(
      (found) => {
        if (found === undefined) {
          // Gone from the L2: an expired entry kept for staleIfError goes too.
          this.l1.missed(ticket);
          return undefined;
        }
        // A tagged entry fills the L1 with its snapshot if its tags are current (their tokens
        // from the L1 where it holds them, else read and filled too).
        const entry = taggedEntry(this.#core, found.payload);
        if (entry !== undefined) {
          return fillTagged(this.#core, this.l1, ticket, entry, found.ttlMs, sizeOf(found.payload), key);
        }
        let value: V;
        try {
          value = codec.decode(found.payload, key);
        } catch (error) {
          this.l1.abandon(ticket);
          throw error;
        }
        this.l1.fill(ticket, value, found.ttlMs, sizeOf(found.payload));
        return value;
      },
      (error: unknown) => {
        this.l1.abandon(ticket);
        throw error;
      },
    );
  }

  // The payload and what is left of its ttl, in one round trip: the backend's getWithTtl, or else
  // a get and a ttl sent together (a write between them is published, and its invalidation then
  // cancels or expires the fill).
  #readWithTtl(finalKey: string): PromiseLike<Found | undefined> {
    const { port } = this.#core;
    if (this.#readsTtl) {
      return Promise.resolve(port.call('getWithTtl', finalKey)).then((found) =>
        found === undefined ? undefined : { payload: found.value, ttlMs: found.ttlMs },
      );
    }
    const value = Promise.resolve(port.get(finalKey));
    const ttl = Promise.resolve(port.call('ttl', finalKey));
    return Promise.all([value, ttl]).then(([payload, ttlMs]) =>
      payload === undefined || ttlMs === undefined ? undefined : { payload, ttlMs },
    );
  }

  // Who an invalidation message is about: this cache, in its own namespace or the one a call gave.
  #names(namespace: string | undefined): InvalidationNames {
    return {
      namespace: namespace === undefined ? this.#namespace : namespace === '' ? undefined : namespace,
      alias: this.#core.telemetry.alias,
    };
  }

  #ownSpace(options: OperationOptions | undefined): boolean {
    return (
      options === undefined ||
      options.namespace === undefined ||
      namespaceOf(options.namespace, 'options.namespace') === this.#namespace
    );
  }
}

// What an entry costs for maxBytes: its encoded payload's length.
function sizeOf(payload: unknown): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  if (payload instanceof Uint8Array) return payload.byteLength;
  return 0;
}
