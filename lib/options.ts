import type { Backend } from './backends/backend.js';
import type { Duration } from './duration.js';
import type { KeyBuilder } from './keys.js';
import type { Logger } from './logger.js';
import type { Plugin } from './plugins/plugin.js';
import type { Serializer } from './serializers/serializer.js';
import type { Jitter, RandomSource } from './strategies/jitter.js';
import type { TelemetryOptions } from './telemetry/cache-telemetry.js';
import type { InvalidationMode, InvalidationOptions, L1Options } from './tiers/tier-options.js';

/** Options of a {@link Cache}. Every field is optional; `undefined` takes the default. */
export interface CacheOptions {
  /**
   * Where entries live.
   * @default new MemoryBackend()
   */
  readonly backend?: Backend;
  /**
   * How values are encoded for the backend.
   * @default the backend's default: `NullSerializer` for memory, `JsonSerializer` for Redis
   */
  readonly serializer?: Serializer<unknown>;
  /** Prefix of every key this cache touches; `clear()` removes only this namespace's keys. */
  readonly namespace?: string;
  /** Key version: bump it to make every existing entry unreachable at once. */
  readonly version?: string | number;
  /**
   * Builds the stored key from the caller's key, namespace and version. It must embed the key verbatim.
   * @default joins the parts that are set with `:` (`ns:2:key`)
   */
  readonly keyBuilder?: KeyBuilder;
  /**
   * Default ttl of writes; `0` or `null` never expire.
   * @default null
   */
  readonly ttl?: Duration | null;
  /**
   * Spreads the ttl of every write uniformly within ± this amount: a share of it (`'10%'`) or a
   * duration (`'30s'`), so entries written together do not expire together. A write's own
   * `jitter` wins (`0` for none). Entries that never expire are not spread; a `multiSet`
   * draws one ttl for its batch.
   * @default none
   */
  readonly jitter?: Jitter;
  /**
   * Where jitter draws its numbers (uniform in [0, 1)): inject one to test jittered ttls.
   * @default Math.random
   */
  readonly random?: RandomSource;
  /**
   * Time limit of each operation; `0` or `null` for none.
   * @default '5s'
   */
  readonly timeout?: Duration | null;
  /** Observers of every operation, called in order. */
  readonly plugins?: readonly Plugin[];
  /**
   * When `true`, backend failures and timeouts are logged and answered with "nothing happened"
   * (`get` → miss, `set` → `false`, `delete` → `0`, …) instead of thrown.
   * @default false
   */
  readonly safe?: boolean;
  /**
   * Where the cache logs.
   * @default pino to stderr at `process.env.LARDER_LOG_LEVEL ?? 'warn'`
   */
  readonly logger?: Logger;
  /**
   * An in-process L1 of decoded values in front of a remote backend (not over a memory backend):
   * `true` for the defaults, a number for `maxSize`, or {@link L1Options}. See docs/tiers.md.
   * @default none
   */
  readonly l1?: L1Options | boolean | number;
  /**
   * How the L1 learns of writes made by other caches: `'bus'` (keys-only Redis pub/sub),
   * `'tracking'` (Redis client-side caching; falls back to the bus where refused) or `'none'`
   * (entries live `l1.ttl` at most), or {@link InvalidationOptions}.
   * @default 'bus' with an L1 over Redis
   */
  readonly invalidation?: InvalidationMode | InvalidationOptions;
  /**
   * What the `larder:operation` channel publishes of this cache's calls (docs/telemetry.md).
   * @default no keys; named after its registry alias, if any
   */
  readonly telemetry?: TelemetryOptions;
}

/** Per-call options every operation accepts; `undefined` fields inherit the cache's. */
export interface OperationOptions {
  /** Namespace for this call instead of the cache's (`''` for none). */
  readonly namespace?: string;
  /** Version for this call instead of the cache's. */
  readonly version?: string | number;
  /** Time limit for this call; `0` or `null` for none. */
  readonly timeout?: Duration | null;
  /** Aborting it rejects the call with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * Reads: `false` reads past the L1 (its answer still refills it). Ignored without an L1.
   * @default true
   */
  readonly l1?: boolean;
}

/** Per-call options of writes. */
export interface WriteOptions extends OperationOptions {
  /** ttl of this write instead of the cache's; `0` or `null` never expire. */
  readonly ttl?: Duration | null;
  /**
   * Tags of the entry: after `cache.invalidateTags([tag])` it reads as missing, in every process
   * over the same backend (see docs/tags.md). Non-empty strings; `[]` is no tags.
   */
  readonly tags?: readonly string[];
  /** Jitter of this write's ttl instead of the cache's (`0` for none); see {@link CacheOptions.jitter}. */
  readonly jitter?: Jitter;
}

/** Per-call options of `get`. */
export interface GetOptions<D = undefined> extends OperationOptions {
  /** Returned on a miss instead of `undefined`. */
  readonly default?: D;
}

/** The frozen defaults of {@link CacheOptions}. */
export const CACHE_DEFAULTS = Object.freeze({
  ttl: null,
  timeout: '5s',
  safe: false,
} as const);

/**
 * Whether per-call options keep the cache's key space, time limit and no signal: the condition of
 * the cache's fast paths (a ttl or a default is fine).
 */
export function ownKeySpace(options: OperationOptions): boolean {
  return (
    options.namespace === undefined &&
    options.version === undefined &&
    options.timeout === undefined &&
    options.signal === undefined
  );
}
