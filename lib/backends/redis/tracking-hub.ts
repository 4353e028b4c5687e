import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../../logger.js';
import type { Client } from './client.js';
import { isCluster } from './ioredis.js';
import { TrackingConnection } from './tracking-connection.js';
import { PrefixRegistry, samePrefixes } from './tracking-prefixes.js';
import type { TrackingRefusedError } from './tracking-refused.js';
import type { InvalidationSink } from '../../tiers/invalidation.js';

interface Registration {
  readonly prefixes: readonly string[];
  readonly sink: InvalidationSink;
  // Whether it is told of the hub's state changes (once its prefixes are tracked).
  settled: boolean;
  // Resolves its start once the hub is live (or the registration is taken back).
  live: (() => void) | undefined;
}

/** Options of a {@link TrackingHub}. */
export interface TrackingHubOptions {
  readonly healthCheckMs: number;
  readonly logger: Logger;
}

/**
 * The tracking of one data client: one {@link TrackingConnection} per master (one for a single
 * node), watching the merged prefixes of every cache registered on that client, and telling each
 * cache the invalidations under its own prefix and the gaps of any master.
 *
 * Prefixes cannot be added to a subscribed RESP2 connection, so a new prefix that the tracked set
 * does not cover replaces the connections make-before-break: new ones with the new set are opened
 * while the old ones go on, and the old ones are closed once the new ones settled. A prefix stays
 * watched until the last cache leaves (watching more than needed costs only unneeded messages).
 *
 * On a Cluster, masters are followed through the client's slot map: a master that appears gets a
 * connection, one that goes is closed, and any change of which master serves which slot
 * (failover, resharding) expires every entry of every registered cache, since writes to a moved
 * slot may have reached a master not yet tracked.
 */
export class TrackingHub {
  readonly #client: Client;
  readonly #options: TrackingHubOptions;
  readonly #prefixes = new PrefixRegistry();
  readonly #registrations = new Set<Registration>();
  #tracked: readonly string[] = [];
  // The connections of the tracked prefix set, by node.
  #connections = new Map<string, TrackingConnection>();
  // One change of connections at a time (a new prefix set, a new topology).
  #changes: Promise<void> = Promise.resolve();
  #live = false;
  // How many times the hub went live: the first is the start, each later one ends a gap.
  #wentLive = 0;
  #slotOwners: string | undefined;
  #listening = false;
  // On a Cluster: the timer that compares the servers' slot map with the client's.
  #slotCheck: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #onTopology = (): void => void this.#change(() => this.#followTopology());

  constructor(client: Client, options: TrackingHubOptions) {
    this.#client = client;
    this.#options = options;
  }

  /** Whether the hub closed (its last cache left, or its first was refused). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Tracks `prefixes` for `sink`. `ready` resolves once they are tracked on every master, having
   * told the sink `up()`; while some master cannot be reached, it waits (the sink told `down()`),
   * and it resolves too when the registration is taken back first.
   *
   * `ready` rejects with TrackingRefusedError when a server refused tracking (nothing is left
   * registered then).
   */
  register(prefixes: readonly string[], sink: InvalidationSink): { ready: Promise<void>; release(): void } {
    const registration: Registration = { prefixes, sink, settled: false, live: undefined };
    this.#registrations.add(registration);
    for (const prefix of prefixes) this.#prefixes.add(prefix);
    const release = (): void => this.#unregister(registration);
    const ready = this.#ready(registration);
    return { ready, release };
  }

  async #ready(registration: Registration): Promise<void> {
    let refusal: TrackingRefusedError | undefined;
    await this.#change(async () => {
      if (this.#connections.size === 0 && isCluster(this.#client)) await readyOrNot(this.#client);
      refusal = await this.#track();
    });
    if (refusal !== undefined) {
      this.#unregister(registration);
      throw refusal;
    }
    if (!this.#registrations.has(registration)) return;
    registration.settled = true;
    if (this.#live) {
      registration.sink.up();
      return;
    }
    registration.sink.down();
    await new Promise<void>((resolve) => (registration.live = resolve));
  }

  #unregister(registration: Registration): void {
    if (!this.#registrations.delete(registration)) return;
    registration.live?.();
    for (const prefix of registration.prefixes) this.#prefixes.remove(prefix);
    if (this.#registrations.size === 0) this.close();
  }

  /** Closes every connection; the hub is done. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (isCluster(this.#client)) {
      for (const event of ['refresh', '+node', '-node']) this.#client.off(event, this.#onTopology);
      clearInterval(this.#slotCheck);
    }
    for (const connection of this.#connections.values()) connection.close();
    this.#connections.clear();
  }

  #change(work: () => Promise<unknown>): Promise<void> {
    const next = this.#changes.then(work).then(
      () => undefined,
      (error: unknown) => this.#options.logger.warn({ err: error }, 'tracking: could not follow a change'),
    );
    this.#changes = next;
    return next;
  }

  // Makes the connections track the registered prefixes on every master known now; resolves once
  // each new connection settled, with the refusal if one was refused (then the old ones stay).
  async #track(): Promise<TrackingRefusedError | undefined> {
    if (this.#closed) return undefined;
    const wanted = this.#prefixes.merged;
    const nodes = this.#nodes();
    if (this.#connections.size > 0 && samePrefixes(wanted, this.#tracked)) return undefined;
    if (nodes.size === 0) {
      // A Cluster not reached yet: its first slot map brings the connections (#followTopology).
      this.#tracked = wanted;
      this.#report();
      return undefined;
    }
    const replacing = this.#connections;
    const next = new Map<string, TrackingConnection>();
    for (const [label, options] of nodes) next.set(label, this.#open(label, options, wanted));
    await Promise.all([...next.values()].map((connection) => connection.settled));
    const refused = [...next.values()].find((connection) => connection.state === 'refused');
    if (refused !== undefined || this.#closed) {
      for (const connection of next.values()) connection.close();
      return refused?.refusal;
    }
    this.#connections = next;
    this.#tracked = wanted;
    for (const connection of replacing.values()) connection.close();
    this.#slotOwners = this.#slotOwnersNow();
    this.#report();
    return undefined;
  }

  // Opens and closes connections as masters come and go; expires everything when slots moved.
  async #followTopology(): Promise<void> {
    if (this.#closed || this.#tracked.length === 0) return;
    const nodes = this.#nodes();
    const opened: TrackingConnection[] = [];
    for (const [label, options] of nodes) {
      if (this.#connections.has(label)) continue;
      const connection = this.#open(label, options, this.#tracked);
      this.#connections.set(label, connection);
      opened.push(connection);
    }
    for (const [label, connection] of this.#connections) {
      if (nodes.has(label)) continue;
      connection.close();
      this.#connections.delete(label);
    }
    const owners = this.#slotOwnersNow();
    const moved = this.#slotOwners !== undefined && owners !== this.#slotOwners;
    this.#slotOwners = owners;
    if (moved) {
      this.#options.logger.info('tracking: the Cluster slot map changed; expiring every L1 entry');
      for (const registration of this.#registrations) registration.sink.expireAll();
    }
    this.#report();
    await Promise.all(opened.map((connection) => connection.settled));
  }

  #open(label: string, node: RedisOptions, prefixes: readonly string[]): TrackingConnection {
    const connection: TrackingConnection = new TrackingConnection({
      node,
      label,
      prefixes,
      healthCheckMs: this.#options.healthCheckMs,
      logger: this.#options.logger,
      events: {
        invalidated: (keys) => this.#invalidated(keys),
        changed: () => this.#changed(connection),
      },
    });
    return connection;
  }

  #changed(connection: TrackingConnection): void {
    if (connection.state === 'refused' && this.#connections.get(connection.label) === connection) {
      // Refused after it had worked (an ACL changed): the caches stay degraded, which is coherent.
      this.#options.logger.warn(
        { err: connection.refusal, node: connection.label },
        'tracking: Redis now refuses client-side caching; the L1 is bypassed for fresh reads',
      );
    }
    // A master lost may be a failover: the slot map says where its slots went.
    if (connection.state === 'down' && isCluster(this.#client)) this.#client.refreshSlotsCache();
    this.#report();
  }

  #invalidated(keys: string[] | null): void {
    for (const { prefixes, sink } of this.#registrations) {
      if (keys === null) {
        sink.expireAll();
        continue;
      }
      const under = prefixes.includes('')
        ? keys
        : keys.filter((key) => prefixes.some((prefix) => key.startsWith(prefix)));
      if (under.length > 0) sink.expire(under);
    }
  }

  // Tells the settled caches when the hub as a whole goes live (every master tracked) or down.
  #report(): void {
    const connections = [...this.#connections.values()];
    const live = connections.length > 0 && connections.every((connection) => connection.state === 'live');
    if (live === this.#live) return;
    const wasLive = this.#live;
    this.#live = live;
    if (!live && wasLive) {
      this.#options.logger.warn('tracking connection lost; the L1 is degraded until it is back');
    } else if (live && this.#wentLive++ > 0) {
      this.#options.logger.info('tracking again; what the L1 held before the gap is expired');
    }
    for (const registration of this.#registrations) {
      if (!registration.settled) continue;
      if (live) {
        registration.sink.up();
        registration.live?.();
        registration.live = undefined;
      } else {
        registration.sink.down();
      }
    }
  }

  // The nodes to track now, by label: the single node, or every master in the slot map.
  #nodes(): Map<string, RedisOptions> {
    const client = this.#client;
    if (!isCluster(client)) return new Map([[labelOf(client.options), client.options]]);
    if (!this.#listening) {
      this.#listening = true;
      for (const event of ['refresh', '+node', '-node']) client.on(event, this.#onTopology);
      // Behind a natMap the servers' addresses are not the client's: the check would always differ.
      if (this.#options.healthCheckMs > 0 && client.options.natMap === undefined) {
        this.#slotCheck = setInterval(() => void this.#checkSlots(client), this.#options.healthCheckMs);
        this.#slotCheck.unref();
      }
    }
    const nodes = new Map<string, RedisOptions>();
    for (const node of client.nodes('master') as Redis[]) nodes.set(labelOf(node.options), node.options);
    return nodes;
  }

  // A master that hands its slots over and stays up (a manual failover, a resharding) closes no
  // tracking connection, and a client that sends nothing to those slots would never get the MOVED
  // that refreshes its slot map: so the map is asked for (one CLUSTER SLOTS on a data connection)
  // every health-check interval, and the client told to refresh when it differs.
  async #checkSlots(client: Cluster): Promise<void> {
    if (this.#closed || client.status !== 'ready') return;
    let ranges: unknown;
    try {
      ranges = await client.cluster('SLOTS');
    } catch {
      return;
    }
    if (!Array.isArray(ranges) || this.#closed) return;
    for (const range of ranges as [number, number, [string, number]?][]) {
      const [start, end, master] = range;
      if (master === undefined) continue;
      const owner = `${master[0]}:${master[1]}`;
      for (let slot = start; slot <= end; slot++) {
        if (client.slots[slot]?.[0] !== owner) {
          client.refreshSlotsCache();
          return;
        }
      }
    }
  }

  #slotOwnersNow(): string | undefined {
    const client = this.#client;
    if (!isCluster(client)) return undefined;
    return client.slots.map((owners) => owners[0] ?? '').join(',');
  }
}

function labelOf(options: RedisOptions): string {
  return options.path ?? `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}

// Waits (a while at most) for a Cluster client's first slot map, connecting a lazy one.
function readyOrNot(cluster: Cluster): Promise<void> {
  if (cluster.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      cluster.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, 10_000);
    timer.unref();
    cluster.once('ready', done);
    if (cluster.status === 'wait') cluster.connect().catch(() => undefined);
  });
}
