export { Cache, type CacheEntries } from './cache.js';
export type { CacheOperations, DefaultWithoutTtl, ValueWithTtl } from './cache-operations.js';
export { Lock, type LockOptions, type OptimisticLock } from './locks.js';
export { cached, type CachedFunction, type CachedMethodDecorator, type CachedOptions } from './cached.js';
export { callKey, encodeArgs } from './call-key.js';
export { rateLimited, type RateLimitOptions, type RateLimitedFunction } from './strategies/rate-limited.js';
export {
  circuitBreaker,
  type CircuitBreakerFunction,
  type CircuitBreakerOptions,
} from './strategies/circuit-breaker.js';
export type { GuardOptions } from './strategies/guard.js';
export { detectCache, type CacheHit, type DetectedCache } from './strategies/detect-cache.js';
export type { Jitter, RandomSource } from './strategies/jitter.js';
export {
  multiCached,
  type BatchShape,
  type MultiCachedFunction,
  type MultiCachedOptions,
} from './multi-cached.js';
export {
  CACHE_DEFAULTS,
  type CacheOptions,
  type GetOptions,
  type OperationOptions,
  type WriteOptions,
} from './options.js';
export {
  RESERVED_KEY_PREFIX,
  type Backend,
  type KeyHandle,
  type KeyStat,
  type StoredWithTags,
  type StoredWithTtl,
} from './backends/backend.js';
export type { BackendCapabilities, Capability } from './backends/capabilities.js';
export { MemoryBackend, MEMORY_BACKEND_DEFAULTS, type MemoryBackendOptions } from './backends/memory.js';
export { RedisBackend } from './backends/redis/backend.js';
export { TrackingRefusedError, type TrackingRefusal } from './backends/redis/tracking.js';
export { REDIS_BACKEND_DEFAULTS, type RedisBackendOptions } from './backends/redis/options.js';
export { keySlot } from './backends/redis/slot.js';
export { parseRedisUrl, type ParsedRedisUrl, type RedisConnection } from './backends/redis/url.js';
export type { Payload, Serializer } from './serializers/serializer.js';
export { NullSerializer } from './serializers/null.js';
export { StringSerializer } from './serializers/string.js';
export { JsonSerializer } from './serializers/json.js';
export { MsgpackSerializer } from './serializers/msgpack.js';
export { StructuredCloneSerializer } from './serializers/structured-clone.js';
export { BaseSerializer } from './serializers/base.js';
export { SERIALIZER_DEFAULTS, type Compression, type SerializerOptions } from './serializers/envelope.js';
export {
  CACHE_OPERATIONS,
  type CacheOperation,
  type CacheView,
  type HookName,
  type Plugin,
  type PostHookContext,
  type PreHookContext,
  type Tier,
} from './plugins/plugin.js';
export {
  INVALIDATION_DEFAULTS,
  L1_DEFAULTS,
  type InvalidationMode,
  type InvalidationOptions,
  type L1Options,
} from './tiers/tier-options.js';
export type { L1Stats } from './tiers/l1-store.js';
export { caches, CacheRegistry } from './registry.js';
export type { AliasConfig, CachesConfig, ComponentConfig } from './config.js';
export type {
  BackendDescriptor,
  BackendUrl,
  BuildContext,
  ComponentDescriptor,
  ComponentKind,
  ComponentKinds,
  PluginDescriptor,
  Registrable,
  Registration,
  SerializerDescriptor,
} from './component.js';
export {
  checkOptions,
  checks,
  type OptionCheck,
  type OptionProblem,
  type OptionsSchema,
} from './options-schema.js';
export { HitMissRatioPlugin, type HitMissStats } from './plugins/hit-miss-ratio.js';
export {
  TimingPlugin,
  TIMING_PLUGIN_DEFAULTS,
  type OperationTiming,
  type TimingPluginOptions,
} from './plugins/timing.js';
export {
  MetricsPlugin,
  METRICS_PLUGIN_DEFAULTS,
  type MetricsPluginOptions,
  type MetricsStats,
  type OperationStats,
  type RequestCount,
} from './plugins/metrics.js';
export { PROMETHEUS_CONTENT_TYPE } from './plugins/prometheus.js';
export {
  INVALIDATION_CHANNEL,
  OPERATION_CHANNEL,
  listensForInvalidations,
  publishInvalidation,
  type CacheTier,
  type Coherence,
  type InvalidationMessage,
  type InvalidationSource,
  type OperationContext,
} from './telemetry/channels.js';
export type { L1Source, TelemetryOptions } from './telemetry/cache-telemetry.js';
export { parseDuration, type Duration } from './duration.js';
export { systemClock, type Clock } from './clock.js';
export { defaultKeyBuilder, type Key, type KeyBuilder } from './keys.js';
export { globMatcher, isReservedKey } from './glob.js';
export type { MaybePromise } from './promise.js';
export type { Logger } from './logger.js';
export {
  BackendError,
  CacheClosedError,
  CacheTimeoutError,
  CircuitOpenError,
  ConfigError,
  KeyExistsError,
  LarderError,
  LockTimeoutError,
  NotAnIntegerError,
  OptimisticLockError,
  OutOfRangeError,
  OutcomeUnknownError,
  RateLimitError,
  UnsupportedOperationError,
  SerializationError,
  type LarderErrorOptions,
} from './errors.js';
