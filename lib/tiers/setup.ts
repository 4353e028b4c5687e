import { MemoryBackend } from '../backends/memory.js';
import { RedisBackend } from '../backends/redis/backend.js';
import type { CacheCore } from '../cache-core.js';
import { ConfigError } from '../errors.js';
import { Bus, busChannel } from './bus.js';
import {
  InvalidationRefusedError,
  type InvalidationContext,
  type InvalidationSource,
  type InvalidationSourceFactory,
} from './invalidation.js';
import { reportL1, reportingSink, type InvalidationNames } from '../telemetry/l1-telemetry.js';
import { keepsFor } from '../stale-if-error.js';
import { L1Store } from './l1-store.js';
import { invalidationSettingsOf, l1SettingsOf } from './tier-options.js';
import { TwoTier } from './two-tier.js';

// The tracking source, once a module provides one (see registerTrackingSource).
let trackingFactory: InvalidationSourceFactory | undefined;

/**
 * Makes `invalidation: 'tracking'` build its sources with `factory` (the Redis tracking module
 * registers itself here, so the core does not import it).
 * @internal
 */
export function registerTrackingSource(factory: InvalidationSourceFactory): void {
  trackingFactory = factory;
}

/**
 * The tiers of a cache with an `l1` option, built and started; `undefined` without one.
 *
 * @throws TypeError or RangeError for a bad `l1` or `invalidation` option.
 * @throws ConfigError for an L1 over a memory backend, or a bus or tracking over a backend other
 *   than Redis, or an `invalidation` without an `l1`.
 */
export function tiersOf<V>(
  core: CacheCore<V>,
  l1Option: unknown,
  invalidationOption: unknown,
): TwoTier<V> | undefined {
  const l1 = l1SettingsOf(l1Option);
  const invalidation = invalidationSettingsOf(invalidationOption);
  if (l1 === undefined) {
    if (invalidationOption !== undefined) {
      throw new ConfigError('invalidation needs an l1: it says how the L1 learns of writes elsewhere', {
        path: 'invalidation',
      });
    }
    return undefined;
  }
  const backend = core.backend;
  if (backend.synchronous === true || backend instanceof MemoryBackend) {
    throw new ConfigError(
      `l1 over the ${backend.name} backend would cache in-process values in front of in-process values; give the L1's bounds to the memory backend instead`,
      { path: 'l1' },
    );
  }
  const redis = backend instanceof RedisBackend ? backend : undefined;
  const type = invalidation.type ?? (redis === undefined ? undefined : 'bus');
  if (type === undefined) {
    throw new ConfigError(
      `l1 over the ${backend.name} backend needs invalidation: 'none' (the bus and tracking need Redis); entries then live l1.ttl at most`,
      { path: 'invalidation' },
    );
  }
  if (type !== 'none' && redis === undefined) {
    throw new ConfigError(`invalidation '${type}' needs a Redis backend; got the ${backend.name} backend`, {
      path: 'invalidation',
    });
  }
  const store = new L1Store({ ...l1, liveAtStart: type === 'none' });
  reportL1(core.telemetry, store);
  keepsFor(core.telemetry, store);
  if (type === 'none') {
    core.logger.warn(
      { ttlMs: l1.ttlMs },
      "l1 with invalidation 'none': this process may serve a value written elsewhere for up to l1.ttl",
    );
    return heedingTags(core, new TwoTier(core, store, undefined));
  }
  const prefix = core.keys.affixes(undefined, false).prefix;
  const context: InvalidationContext = {
    client: redis!.client,
    // The namespace's tag keys too (its marker key starts every one of them): the L1 holds their
    // tokens, and tracking must see them change, whoever changes them.
    prefixes: [prefix, core.tags.markerKey],
    channel: invalidation.channel ?? busChannel(redis!.client, core.keys.namespace),
    healthCheckMs: invalidation.healthCheckMs,
    logger: core.logger,
    telemetry: core.telemetry,
  };
  let source: InvalidationSource;
  if (type === 'tracking' && trackingFactory !== undefined) source = trackingFactory(context);
  else {
    if (type === 'tracking') {
      core.logger.warn("invalidation 'tracking' is not available in this build; using the bus");
    }
    source = new Bus(context);
  }
  const client = redis!.client;
  const channelOf =
    invalidation.channel === undefined
      ? (namespace: string | undefined) => busChannel(client, namespace)
      : undefined;
  const tiers = heedingTags(core, new TwoTier(core, store, source, channelOf));
  start(tiers, source, context, { namespace: core.keys.namespace, alias: core.telemetry.alias });
  return tiers;
}

// An invalidation of tags made through this cache, once the backend acknowledged it, is a write
// of their tag keys like any other: this L1 drops them at once, and the bus tells the others (the
// tracking source hears it from Redis).
function heedingTags<V>(core: CacheCore<V>, tiers: TwoTier<V>): TwoTier<V> {
  core.tags.listen(({ keys }) => tiers.written('set', keys));
  return tiers;
}

// Starts the source, reporting to the L1 through telemetry's sink; where the server refuses
// tracking, falls back to the bus (one warning).
function start<V>(
  tiers: TwoTier<V>,
  source: InvalidationSource,
  context: InvalidationContext,
  names: InvalidationNames,
): void {
  source.start(reportingSink(tiers.l1, source.kind, names)).then(undefined, (error: unknown) => {
    if (tiers.closed) return;
    if (!(error instanceof InvalidationRefusedError) || tiers.source !== source) {
      context.logger.error({ err: error }, 'invalidation source failed to start; the L1 stays degraded');
      return;
    }
    context.logger.warn(
      { err: error },
      `the server refuses invalidation '${error.kind}'; falling back to the bus`,
    );
    const bus = new Bus(context);
    tiers.source = bus;
    bus
      .start(reportingSink(tiers.l1, 'bus', names))
      .then(undefined, (failure: unknown) =>
        context.logger.error({ err: failure }, 'invalidation bus failed to start; the L1 stays degraded'),
      );
  });
}
