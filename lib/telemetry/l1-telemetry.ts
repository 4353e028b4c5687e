// What the L1 and its invalidation source tell telemetry: the L1's figures for metrics, and the
// invalidation traffic on `larder:invalidation` (messages heard and sent, gaps, coherence). The
// source reports to the L1 through a sink put in front of it here, so neither the bus nor the
// tracking client knows of telemetry; nothing is built while the channel has no subscriber.
import type { InvalidationKind, InvalidationSink } from '../tiers/invalidation.js';
import type { L1Store } from '../tiers/l1-store.js';
import type { CacheTelemetry, L1Source } from './cache-telemetry.js';
import { listensForInvalidations, publishInvalidation } from './channels.js';

/** Who a cache's invalidation messages are about. */
export interface InvalidationNames {
  readonly namespace: string | undefined;
  readonly alias: string | undefined;
}

/** Reports the L1's entries and evictions to the cache's telemetry (read when metrics are collected). */
export function reportL1(telemetry: CacheTelemetry, store: L1Store): void {
  const source: L1Source = {
    get entries() {
      return store.size;
    },
    evictions: () => store.evictionsByReason(),
  };
  telemetry.reportL1(source);
}

/**
 * The sink `kind`'s source reports to: the L1 itself, with each report published first. Also
 * publishes the L1's coherence changes (its `onCoherence`).
 */
export function reportingSink(
  store: L1Store,
  kind: InvalidationKind,
  names: InvalidationNames,
): InvalidationSink {
  // The entries a gap expired, from its start (down() expires them) to its end.
  let gapExpired: number | undefined;
  const heard = (scope: 'keys' | 'namespace' | 'all', keyCount: number): void => {
    if (!listensForInvalidations()) return;
    publishInvalidation({ type: 'message', direction: 'in', source: kind, scope, keyCount, ...names });
  };
  store.onCoherence = (to) => {
    if (!listensForInvalidations()) return;
    publishInvalidation({ type: 'coherence', from: to === 'live' ? 'degraded' : 'live', to, ...names });
  };
  return {
    expire(keys) {
      heard('keys', keys.length);
      store.expire(keys);
    },
    remove(keys) {
      heard('keys', keys.length);
      store.remove(keys);
    },
    expireAll() {
      // The bus expires all on a clear of the namespace; tracking on a flush, a failover, a moved slot.
      heard(kind === 'bus' ? 'namespace' : 'all', 0);
      store.expireAll();
    },
    removeAll() {
      heard('namespace', 0);
      store.removeAll();
    },
    down() {
      // A gap starts when a live L1 stops hearing (not before its first subscription).
      if (store.coherence === 'live' && gapExpired === undefined) {
        gapExpired = store.freshEntries;
        if (listensForInvalidations())
          publishInvalidation({ type: 'gap', phase: 'start', source: kind, ...names });
      }
      store.down();
    },
    up() {
      const expired = gapExpired;
      gapExpired = undefined;
      store.up();
      if (expired !== undefined && listensForInvalidations())
        publishInvalidation({ type: 'gap', phase: 'end', source: kind, expired, ...names });
    },
  };
}

/** A write of this cache told to the other caches over the bus (`'out'`). */
export function publishedOut(
  names: InvalidationNames,
  finalKeys: readonly string[] | undefined,
  root: boolean,
): void {
  if (!listensForInvalidations()) return;
  publishInvalidation({
    type: 'message',
    direction: 'out',
    source: 'bus',
    scope: finalKeys !== undefined ? 'keys' : root ? 'all' : 'namespace',
    keyCount: finalKeys?.length ?? 0,
    ...names,
  });
}
