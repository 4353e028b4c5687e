import { booleanOf, pluginsOf } from './arguments.js';
import { BackendPort } from './backend-port.js';
import type { Backend, KeyHandle } from './backends/backend.js';
import { capabilitiesOf, type BackendCapabilities } from './backends/capabilities.js';
import { MemoryBackend, revisionOf } from './backends/memory.js';
import { pathsOf, type CachePaths } from './cache-paths.js';
import { systemClock, type Clock } from './clock.js';
import { Codec } from './codec.js';
import { describeValue } from './describe.js';
import { parseTimeout, parseTtl } from './duration.js';
import { memoLimitFor } from './key-memo.js';
import { KeySpace } from './key-space.js';
import type { LockPort } from './locks.js';
import { defaultLogger, type Logger } from './logger.js';
import { OperationRunner, type Operation } from './operation.js';
import { refuseUnknownOptions } from './options-schema.js';
import { CACHE_DEFAULTS, type CacheOptions, type OperationOptions, type WriteOptions } from './options.js';
import type { CacheView, Plugin, Tier } from './plugins/plugin.js';
import { isPending } from './promise.js';
import { ReadThrough } from './read-through.js';
import { NullSerializer } from './serializers/null.js';
import { TagSpace } from './tags/tag-space.js';
import { TagWriter, decodeStored } from './tags/tagged-operations.js';
import {
  jitteredTtl,
  parseJitter,
  randomSourceOf,
  type JitterSpread,
  type RandomSource,
} from './strategies/jitter.js';
import { CacheTelemetry, checkTelemetryOptions } from './telemetry/cache-telemetry.js';
import { reportTagLookups } from './telemetry/internal.js';
import { tiersOf } from './tiers/setup.js';
import { invalidationSettingsOf, l1SettingsOf } from './tiers/tier-options.js';
import type { TwoTier } from './tiers/two-tier.js';

/**
 * The parts a cache is put together from, built and checked once from its options: the backend
 * (as called through the port) and what it can do, the key space, the codec, the operation
 * runner, and the read-through engine of getOrSet. Cache is the public face over it; the
 * operations (lib/operations.ts) and locks (lib/locks.ts) work on it.
 */
export class CacheCore<V> implements LockPort<V> {
  readonly backend: Backend;
  readonly port: BackendPort;
  readonly capabilities: BackendCapabilities;
  readonly keys: KeySpace;
  readonly codec: Codec<V>;
  readonly runner: OperationRunner;
  readonly plugins: readonly Plugin[];
  readonly safe: boolean;
  readonly logger: Logger;
  /** Default ttl of writes, in ms (0: never expires). */
  readonly ttlMs: number;
  /** The cache's jitter of write ttls, if any. */
  readonly jitter: JitterSpread | undefined;
  /** Where jitter draws its numbers. */
  readonly random: RandomSource;
  /** Whether the backend answers synchronously (see Backend.synchronous). */
  readonly synchronous: boolean;
  readonly clock: Clock = systemClock;
  /** The read-through engine of getOrSet. */
  readonly getOrSet: ReadThrough<V>;
  /** How this cache's calls are traced (lib/telemetry). */
  readonly telemetry: CacheTelemetry;
  /** The tags of this cache's namespace (lib/tags/). */
  readonly tags: TagSpace;
  /** Whether tagged entries are stored as objects (a pass-through serializer) rather than bytes. */
  readonly tagObjects: boolean;
  /** How read-throughs write tagged results. */
  readonly tagWriter: TagWriter<V>;
  /** The L1 and its invalidation, when the cache has an `l1`. */
  readonly tier: TwoTier<V> | undefined;
  /** Which of Cache's direct paths this cache may take. */
  readonly paths: CachePaths;

  /**
   * @throws TypeError or RangeError for an option of the wrong type or out of range.
   * @throws ConfigError if the serializer cannot work with the backend.
   */
  constructor(options: CacheOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Cache options must be an object; got ${describeValue(options)}`);
    }
    refuseUnknownOptions(options, CACHE_OPTION_NAMES, 'Cache');
    const backend = options.backend ?? new MemoryBackend();
    this.capabilities = capabilitiesOf(backend);
    this.backend = backend;
    this.codec = new Codec<V>(options.serializer ?? backend.defaultSerializer(), backend);
    this.synchronous = backend.synchronous === true;
    // Remembering final keys pays where the backend hashes them in this process, or keeps hints.
    // And where an L1 hashes them in this process.
    const remember =
      this.synchronous || this.capabilities.peek || (options.l1 !== undefined && options.l1 !== false)
        ? memoLimitFor(backend)
        : 0;
    this.keys = new KeySpace(options.namespace, options.version, options.keyBuilder, remember);
    this.ttlMs = parseTtl(options.ttl === undefined ? CACHE_DEFAULTS.ttl : options.ttl);
    this.jitter = parseJitter(options.jitter);
    this.random = randomSourceOf(options.random) ?? Math.random;
    const timeoutMs = parseTimeout(options.timeout === undefined ? CACHE_DEFAULTS.timeout : options.timeout);
    this.plugins = pluginsOf(options.plugins);
    this.safe = booleanOf(options.safe, 'safe') ?? CACHE_DEFAULTS.safe;
    this.logger = loggerOf(options.logger).child({ backend: backend.name, namespace: this.keys.namespace });
    const view: CacheView = Object.freeze({
      namespace: this.keys.namespace,
      version: this.keys.version,
      backend: backend.name,
      logger: this.logger,
    });
    this.telemetry = new CacheTelemetry(options.telemetry, view, this.plugins);
    this.runner = new OperationRunner({
      backendName: backend.name,
      synchronous: this.synchronous,
      timeoutMs,
      safe: this.safe,
      plugins: this.plugins,
      logger: this.logger,
      view,
      telemetry: this.telemetry,
    });
    this.telemetry.attach();
    this.port = new BackendPort(backend);
    this.tags = new TagSpace(
      this.keys.namespace,
      this.port,
      this.capabilities,
      this.synchronous,
      revisionReader(backend),
    );
    reportTagLookups(this.port, this.telemetry);
    this.tagObjects = this.codec.serializer.loads === NullSerializer.prototype.loads;
    this.tagWriter = new TagWriter<V>(this);
    this.getOrSet = new ReadThrough<V>({
      name: 'getOrSet',
      ttlMs: undefined,
      staleTtlMs: 0,
      staleIfErrorMs: 0,
      leaseMs: undefined,
      failOpen: false,
      clock: systemClock,
    });
    this.tier = tiersOf(this, options.l1, options.invalidation);
    this.paths = pathsOf(this as CacheCore<unknown>);
  }

  /** A single-key operation through the runner. */
  run<T>(
    op: Operation<T>['op'],
    key: unknown,
    options: OperationOptions | undefined,
    fallback: Operation<T>['fallback'],
    work: () => T | PromiseLike<T>,
    tierOf?: () => Tier | undefined,
  ): Promise<T> {
    return this.runner.run({ op, key, options, fallback, work, tierOf });
  }

  /** `then` applied to a backend's answer: at once to a value, later to a promise. */
  then<A, B>(answer: A | PromiseLike<A>, then: (value: A) => B): B | PromiseLike<B> {
    return isPending(answer, this.synchronous) ? answer.then(then) : then(answer);
  }

  /** The value of a stored payload; `undefined` for a tagged entry whose tags were invalidated. */
  decodeStored(payload: unknown, key: unknown): V | undefined | PromiseLike<V | undefined> {
    return decodeStored(this, payload, key);
  }

  /** The ttl of a write with these options, in ms, jittered if asked. */
  ttlOf(options: WriteOptions | undefined): number {
    const ttlMs = this.baseTtlOf(options);
    if (this.jitter === undefined && options?.jitter === undefined) return ttlMs;
    return this.jitterOf(ttlMs, options);
  }

  /** The ttl of a write with these options before jitter, in ms. */
  baseTtlOf(options: WriteOptions | undefined): number {
    return options?.ttl === undefined ? this.ttlMs : parseTtl(options.ttl);
  }

  /** `ttlMs` spread by the write's jitter, or else the cache's. */
  jitterOf(ttlMs: number, options: WriteOptions | undefined): number {
    const spread = options?.jitter === undefined ? this.jitter : parseJitter(options.jitter);
    return spread === undefined ? ttlMs : jitteredTtl(ttlMs, spread, this.random);
  }
}

/**
 * Checks cache options on their own, without building anything: what `caches.create` does with
 * its overrides, so that a mistake in them is the caller's `TypeError` / `RangeError`, never taken
 * for the alias config's.
 *
 * @throws TypeError or RangeError as `new Cache` would for these options.
 */
export function checkCacheOptions(options: CacheOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Cache options must be an object; got ${describeValue(options)}`);
  }
  refuseUnknownOptions(options, CACHE_OPTION_NAMES, 'Cache');
  if (options.backend !== undefined) capabilitiesOf(options.backend);
  new KeySpace(options.namespace, options.version, options.keyBuilder, 0);
  if (options.ttl !== undefined) parseTtl(options.ttl);
  parseJitter(options.jitter);
  randomSourceOf(options.random);
  if (options.timeout !== undefined) parseTimeout(options.timeout);
  pluginsOf(options.plugins);
  booleanOf(options.safe, 'safe');
  if (options.logger !== undefined) loggerOf(options.logger);
  if (options.telemetry !== undefined) checkTelemetryOptions(options.telemetry);
  l1SettingsOf(options.l1);
  invalidationSettingsOf(options.invalidation);
}

// Every option of CacheOptions, for the check that refuses the others.
const CACHE_OPTION_NAMES: readonly (keyof CacheOptions)[] = [
  'backend',
  'serializer',
  'namespace',
  'version',
  'keyBuilder',
  'ttl',
  'jitter',
  'random',
  'timeout',
  'plugins',
  'safe',
  'logger',
  'telemetry',
  'l1',
  'invalidation',
];

function loggerOf(logger: unknown): Logger {
  if (logger === undefined) return defaultLogger();
  const candidate = logger as Partial<Logger> | null;
  const missing = (['error', 'warn', 'info', 'debug', 'child'] as const).filter(
    (method) => typeof candidate?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new TypeError(
      `logger must be pino-shaped (error, warn, info, debug and child methods); ${describeValue(logger)} lacks ${missing.join(', ')}`,
    );
  }
  return logger as Logger;
}

// The memory backend's revision, where tag reads go to its own store (no subclass's get or peek).
function revisionReader(backend: Backend): ((handles?: readonly KeyHandle[]) => number) | undefined {
  if (!(backend instanceof MemoryBackend)) return undefined;
  if (backend.get !== MemoryBackend.prototype.get || backend.peek !== MemoryBackend.prototype.peek) {
    return undefined;
  }
  return (handles) => backend[revisionOf](handles);
}
