// larder's node:diagnostics_channel channels. Their names and the fields of their messages are a
// public, stable contract (docs/telemetry.md): subscribers in other packages (larder/otel, APMs,
// the MetricsPlugin) read them by name.
import { channel, tracingChannel } from 'node:diagnostics_channel';
import type { CacheView } from '../plugins/plugin.js';

/** The tracing channel every public operation is traced on (`start`, `end`, `asyncStart`, `asyncEnd`, `error`). */
export const OPERATION_CHANNEL = 'larder:operation';

/** The point channel of invalidation traffic: bus and tracking messages, gaps, coherence changes. */
export const INVALIDATION_CHANNEL = 'larder:invalidation';

/** What an operation's read found, when it read: the in-process L1, or the cache's backend. */
export type CacheTier = 'l1' | 'l2';

/**
 * The context of one traced operation: the same object is published on every event of the call
 * (`start`, `end`, `asyncStart`, `asyncEnd`, `error`), so a subscriber may keep its own per-call
 * state on it (larder/otel keeps the span there, under a symbol). Built only while the channel has
 * subscribers. Keys are on it only with `telemetry: { includeKeys: true }`.
 */
export interface OperationContext {
  /**
   * `'get'`, `'multiGet'`, `'set'`, …, `'getOrSet'`, `'scan'`, `'cached'`, `'multiCached'`; and for
   * larder's own commands (always `internal`), `'publish'` and `'tagLookup'`.
   */
  readonly op: string;
  /** The namespace the call works in (a per-call or function namespace wins over the cache's). */
  readonly namespace: string | undefined;
  /** The name of the cache: its alias in the `caches` registry, or `telemetry.alias`. */
  readonly alias: string | undefined;
  /** How many keys the call names (0 for `clear`, `raw`, `scan`; the glob counts 1 for `deletePattern`). */
  readonly keyCount: number;
  /** The cache (as plugins see it) the call runs on. */
  readonly cache: CacheView;
  /** Read operations: whether the value was found (multi-key reads: every key was found). */
  hit?: boolean;
  /** Multi-key reads (`multiGet`, `multiCached`): how many of the keys were found. */
  hits?: number;
  /** Read operations: the tier that answered (`'l2'`: the backend itself). */
  tier?: CacheTier;
  /** Read-throughs: whether a stale result was served (staleTtl, staleIfError). */
  stale?: boolean;
  /** Read-throughs: whether this call waited for another caller's computation instead of computing. */
  shared?: boolean;
  /** `cached()` / `multiCached()`: the memoised function's name (part of every default key). */
  readonly function?: string;
  /**
   * `true` on larder's own traffic made on behalf of another operation (a read-through's reads,
   * writes, lock and hit counter, the guards' state, bus publishes, tag lookups): not a call of the
   * application's. Metrics do not count it; larder/otel makes no span of it unless asked.
   */
  readonly internal?: boolean;
  /** The key (after `keySanitizer`), with `includeKeys` only. */
  readonly key?: string;
  /** The keys (after `keySanitizer`), with `includeKeys` only. */
  readonly keys?: readonly string[];
  /** What the operation rejected with, or the failure safe mode answered for (then `fallback`). */
  error?: unknown;
  /** `true` when `error` is a failure safe mode swallowed: the call resolved with its "nothing happened" answer. */
  fallback?: boolean;
  /** What the operation resolved to (set by the channel on `asyncStart`). */
  result?: unknown;
}

/** Who carries invalidations: the Redis pub/sub bus, or Redis server-assisted client tracking. */
export type InvalidationSource = 'bus' | 'tracking';

/** A cache's coherence (see `cache.coherence`). */
export type Coherence = 'live' | 'degraded' | 'off';

/**
 * A message on `larder:invalidation`. Every kind has `type`, `namespace`, `alias`; the fields below
 * are stable.
 */
export type InvalidationMessage =
  | {
      /** An invalidation sent to other processes (`'out'`) or received from them (`'in'`). */
      readonly type: 'message';
      readonly direction: 'in' | 'out';
      readonly source: InvalidationSource;
      readonly namespace: string | undefined;
      readonly alias: string | undefined;
      /** What it invalidates: some keys, the whole namespace, or everything the L1 holds. */
      readonly scope: 'keys' | 'namespace' | 'all';
      /** How many keys (0 unless `scope` is `'keys'`). */
      readonly keyCount: number;
    }
  | {
      /** The subscriber connection went down (`'start'`) or came back (`'end'`). */
      readonly type: 'gap';
      readonly phase: 'start' | 'end';
      readonly source: InvalidationSource;
      readonly namespace: string | undefined;
      readonly alias: string | undefined;
      /** On `'end'`: how many L1 entries filled before the gap were expired. */
      readonly expired?: number;
    }
  | {
      /** `cache.coherence` changed. */
      readonly type: 'coherence';
      readonly from: Coherence;
      readonly to: Coherence;
      readonly namespace: string | undefined;
      readonly alias: string | undefined;
    };

/** The `larder:operation` tracing channel. */
export const operationChannel = tracingChannel<unknown, OperationContext>(OPERATION_CHANNEL);

/** The `larder:invalidation` point channel. */
export const invalidationChannel = channel(INVALIDATION_CHANNEL);

/**
 * Publishes one invalidation event, if anyone listens (the bus, the tracking client and the L1
 * call it; the message is built by the caller, so build it only when {@link listensForInvalidations}).
 */
export function publishInvalidation(message: InvalidationMessage): void {
  if (invalidationChannel.hasSubscribers) invalidationChannel.publish(message);
}

/** Whether `larder:invalidation` has subscribers: build a message only then. */
export function listensForInvalidations(): boolean {
  return invalidationChannel.hasSubscribers;
}
