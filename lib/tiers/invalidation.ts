// The seam between an L1 and what keeps it coherent. An invalidation source (the pub/sub bus,
// Redis client-side tracking) listens on a connection of its own and tells its sink, the L1,
// which keys changed elsewhere, when it stops hearing, and when it hears again. The L1 keeps the
// rest: the generations that guard fills against a slower read, what a gap expires, coherence.
import type { Logger } from '../logger.js';
import type { Client } from '../backends/redis/client.js';
import { LarderError } from '../errors.js';
import type { CacheTelemetry } from '../telemetry/cache-telemetry.js';

/** The modes a source implements. */
export type InvalidationKind = 'bus' | 'tracking';

/**
 * What a source tells: the L1 of one cache. Keys are the backend's full keys (namespace, version
 * and all: what `cache.storedKey()` answers). Every method is synchronous, cheap, and safe to call
 * at any time, also after close.
 */
export interface InvalidationSink {
  /**
   * These keys were written elsewhere: stop serving their entries as fresh (a read-through's
   * `staleIfError` may still use them), and cancel any fill of them from a read already in flight.
   */
  expire(keys: readonly string[]): void;
  /** These keys were deleted elsewhere: drop their entries (and cancel fills in flight). */
  remove(keys: readonly string[]): void;
  /**
   * Every entry may be stale (a flush, a failover, lost messages): none is served as fresh any
   * more (`staleIfError` may still use them), and no fill in flight lands.
   */
  expireAll(): void;
  /** The whole namespace was deleted elsewhere (a clear, a deletePattern): drop every entry. */
  removeAll(): void;
  /**
   * The source stopped hearing (its connection closed, or a health check went unanswered):
   * messages may be lost from now on. Coherence becomes `'degraded'` and the L1 is not served as
   * fresh until {@link up}. Idempotent.
   */
  down(): void;
  /**
   * The source hears again (first subscription, or resubscribed after a gap): every entry filled
   * before now is expired, since what happened in the gap is unknown; coherence becomes `'live'`.
   * Called once per successful (re)subscription.
   */
  up(): void;
}

/** What a source is built from: the cache's Redis client and what it must listen for. */
export interface InvalidationContext {
  /** The data client of the cache's backend: duplicate it for a connection of your own; never subscribe on it. */
  readonly client: Client;
  /**
   * The prefixes of the full keys this L1 may hold (the namespace's, e.g. `'app:'`; `''` when the
   * cache has no namespace). Tracking registers them (`BCAST PREFIX`); the bus may ignore them.
   */
  readonly prefixes: readonly string[];
  /** The pub/sub channel of the bus (derived from db, namespace and wire version, or the user's). */
  readonly channel: string;
  /** Interval of the health-check `PING` on the listening connection, in ms (0: none). */
  readonly healthCheckMs: number;
  /** Where to log, already bound to the cache. */
  readonly logger: Logger;
  /** The cache's telemetry, which traces the bus's publishes (as larder's own `publish`). */
  readonly telemetry?: CacheTelemetry;
}

/**
 * Something that keeps an L1 coherent: it listens on a dedicated connection and tells its sink.
 * The cache builds one per L1 over Redis, calls {@link start} once, {@link published} after each
 * acknowledged write of its own, and {@link close} when it closes.
 */
export interface InvalidationSource {
  readonly kind: InvalidationKind;
  /**
   * Starts listening and reporting to `sink`. Resolves once the first subscription is live (it has
   * then called `sink.up()`); keeps reconnecting on its own afterwards, calling `down()`/`up()`
   * around each gap. Rejects with {@link InvalidationRefusedError} if the server refuses the mode
   * for good (tracking: `CLIENT TRACKING` denied, Redis < 6), having released what it opened: the
   * cache then falls back to the bus. A server merely unreachable is not a refusal: the returned
   * promise then waits (and settles at the latest when the source is closed).
   */
  start(sink: InvalidationSink): Promise<void>;
  /**
   * Called after Redis acknowledged a write of this cache: the bus tells the other caches (the
   * tracking source ignores it, Redis tells them itself). Never throws; a failed publish is retried
   * by the source. `op` `'set'` expires the others' entries, `'delete'` removes them; `keys`
   * `undefined` means the whole namespace (clear, deletePattern).
   */
  published(op: 'set' | 'delete', keys: readonly string[] | undefined): void;
  /** Stops listening and releases the connection(s) and timers. Idempotent. */
  close(): Promise<void>;
}

/** Builds a source for one cache's L1. */
export type InvalidationSourceFactory = (context: InvalidationContext) => InvalidationSource;

/** The server refuses an invalidation mode for good (see {@link InvalidationSource.start}). */
export class InvalidationRefusedError extends LarderError {
  /** The mode refused. */
  readonly kind: InvalidationKind;

  constructor(kind: InvalidationKind, message: string, options?: { readonly cause?: unknown }) {
    super(message, 'LARDER_INVALIDATION_REFUSED', options);
    this.kind = kind;
  }
}
