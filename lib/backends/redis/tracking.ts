import type {
  InvalidationContext,
  InvalidationSink,
  InvalidationSource,
  InvalidationSourceFactory,
} from '../../tiers/invalidation.js';
import { registerTrackingSource } from '../../tiers/setup.js';
import type { Client } from './client.js';
import { TrackingHub } from './tracking-hub.js';

export { TrackingRefusedError, type TrackingRefusal } from './tracking-refused.js';

// One hub per data client, shared by every cache tracked on it: one set of connections, one
// merged prefix set.
const hubs = new WeakMap<Client, TrackingHub>();

/**
 * The invalidation source of `invalidation: 'tracking'`: Redis server-assisted client-side caching
 * in broadcasting mode. Redis itself reports every change of a key under the cache's prefixes,
 * made by any client (redis-cli, another language, a Lua script) or by the server (expiry,
 * eviction, `FLUSHDB`), to a dedicated RESP2 connection per master (see TrackingConnection). The
 * data connections hold no tracking state, and no command is added to a write.
 *
 * Every cache on one data client shares those connections (see TrackingHub); the first one's
 * `healthCheckMs` holds for all. A cache without a namespace tracks the prefix `''`: every key of
 * the server, so it hears of every write, in every db (Redis tracks key names, not dbs).
 *
 * A cache's own writes are reported back too (Redis cannot tell them apart): they expire the
 * entry the write just put in the L1, which costs one more read from Redis, never a stale value.
 * Tracking cannot tell a write from a delete, an expiry or an eviction either, so it always
 * expires (`sink.expire`), never removes.
 *
 * @example
 * ```ts
 * const source = trackingSource({ client: backend.client, prefixes: ['app:'], healthCheckMs: 2_000, logger, channel: '' });
 * await source.start(sink); // rejects with TrackingRefusedError where the server says no
 * ```
 */
export class TrackingSource implements InvalidationSource {
  readonly kind = 'tracking' as const;
  readonly #context: InvalidationContext;
  #release: (() => void) | undefined;
  #started = false;
  #closed = false;

  /** @throws RangeError for a `healthCheckMs` that is not a finite number ≥ 0. */
  constructor(context: InvalidationContext) {
    const { healthCheckMs } = context;
    if (typeof healthCheckMs !== 'number' || !Number.isFinite(healthCheckMs) || healthCheckMs < 0) {
      throw new RangeError(
        `healthCheckMs must be a finite number of ms, 0 or more; got ${String(healthCheckMs)}`,
      );
    }
    this.#context = context;
  }

  /**
   * Starts tracking the context's prefixes for `sink`. Resolves once every master tracks them
   * (having told the sink `up()`); while a master cannot be reached it waits, and it resolves when
   * the source is closed first.
   *
   * @throws TrackingRefusedError (an `InvalidationRefusedError`) when the server refuses tracking:
   *   an ACL, Redis < 6, a managed service. Nothing is left open; the cache falls back to the bus.
   */
  async start(sink: InvalidationSink): Promise<void> {
    if (this.#started) throw new Error('a TrackingSource starts once');
    this.#started = true;
    if (this.#closed) return;
    const { client, prefixes, healthCheckMs, logger } = this.#context;
    let hub = hubs.get(client);
    if (hub === undefined || hub.closed) {
      hub = new TrackingHub(client, { healthCheckMs, logger: logger.child({ invalidation: 'tracking' }) });
      hubs.set(client, hub);
    }
    const { ready, release } = hub.register(prefixes.length === 0 ? [''] : prefixes, sink);
    this.#release = release;
    await ready;
  }

  /** Nothing to do: Redis sees every write itself. */
  published(): void {}

  /** Stops tracking for this cache (the connections close with the last cache on the client). Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#release?.();
    this.#release = undefined;
    return Promise.resolve();
  }
}

/**
 * Builds the {@link TrackingSource} of one cache's L1.
 *
 * @throws RangeError as {@link TrackingSource}'s constructor.
 */
export const trackingSource: InvalidationSourceFactory = (context) => new TrackingSource(context);

// `invalidation: 'tracking'` builds its sources here; the tiers' setup does not import this module
// (it is reached through the package's index, see package.json sideEffects).
registerTrackingSource(trackingSource);
