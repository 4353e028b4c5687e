import type { PluginDescriptor } from '../component.js';
import { describeValue } from '../describe.js';
import { checkOptions, type OptionCheck, type OptionsSchema } from '../options-schema.js';
import { attachTelemetry, detachTelemetry, type TelemetryAware } from '../telemetry/attach.js';
import type { CacheTelemetry } from '../telemetry/cache-telemetry.js';
import {
  invalidationChannel,
  operationChannel,
  type InvalidationMessage,
  type OperationContext,
} from '../telemetry/channels.js';
import type { CacheView, Plugin } from './plugin.js';
import { metricsExposition } from './prometheus.js';

/** Options of {@link MetricsPlugin}. */
export interface MetricsPluginOptions {
  /**
   * Upper bounds (seconds) of the `larder_cache_operation_seconds` histogram's buckets.
   * @default {@link METRICS_PLUGIN_DEFAULTS}.buckets: 100 µs to 5 s
   */
  readonly buckets?: readonly number[];
  /**
   * Per-group request counts: a `group` label on `larder_cache_requests_total`, named after the
   * first pattern the key matches (`'other'` when none does). The keys themselves never become
   * labels. Groups are read from the keys the operation channel carries, so the cache needs
   * `telemetry: { includeKeys: true }` (with a `keySanitizer`, from the sanitized keys). A string
   * is a pattern (what a JSON config can give).
   * @example `{ user: /^user:/, session: /^sess:/ }`
   */
  readonly keyGroups?: Readonly<Record<string, RegExp | string>>;
}

/** The frozen defaults of {@link MetricsPluginOptions}. */
export const METRICS_PLUGIN_DEFAULTS = Object.freeze({
  buckets: Object.freeze([
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  ]),
});

/** One row of `larder_cache_requests_total`. */
export interface RequestCount {
  readonly cache: string;
  readonly op: string;
  readonly result: 'hit' | 'miss' | 'stale';
  readonly tier: string;
  /** With `keyGroups` only. */
  readonly group?: string;
  readonly count: number;
}

/** One (cache, op) of `larder_cache_operation_seconds`, with its failures. */
export interface OperationStats {
  readonly cache: string;
  readonly op: string;
  readonly count: number;
  readonly sumSeconds: number;
  /** Cumulative counts per bucket bound (seconds), as the histogram exposes them. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  /** Calls that rejected (larder's own calls included, which `count` leaves out). */
  readonly errors: number;
  /**
   * Failures safe mode answered for (the call resolved with its "nothing happened" answer), larder's
   * own calls included.
   */
  readonly fallbacks: number;
}

/** What {@link MetricsPlugin.stats} reports. */
export interface MetricsStats {
  readonly requests: readonly RequestCount[];
  readonly operations: readonly OperationStats[];
  readonly l1: readonly {
    readonly cache: string;
    readonly entries: number;
    readonly evictions: Readonly<Record<string, number>>;
  }[];
  readonly invalidations: readonly {
    readonly cache: string;
    readonly direction: string;
    readonly source: string;
    readonly count: number;
  }[];
  readonly gaps: readonly { readonly cache: string; readonly source: string; readonly count: number }[];
}

const bucketsCheck: OptionCheck = (value) =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((bound, i) => typeof bound === 'number' && bound > 0 && (i === 0 || bound > value[i - 1]))
    ? undefined
    : {
        message: `expected increasing numbers of seconds above 0; got ${describeValue(value)}`,
        error: 'range',
      };

const keyGroupsCheck: OptionCheck = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      message: `expected an object of group name → RegExp; got ${describeValue(value)}`,
      error: 'type',
    };
  for (const [label, pattern] of Object.entries(value)) {
    if (pattern instanceof RegExp) continue;
    const at = `.${label}`;
    if (typeof pattern !== 'string')
      return {
        message: `expected a RegExp or a pattern string; got ${describeValue(pattern)}`,
        error: 'type',
        at,
      };
    try {
      new RegExp(pattern);
    } catch (cause) {
      return { message: `not a regular expression: ${JSON.stringify(pattern)}`, error: 'type', at, cause };
    }
  }
  return undefined;
};

const METRICS_PLUGIN_OPTIONS: OptionsSchema = Object.freeze({
  fields: Object.freeze({ buckets: bucketsCheck, keyGroups: keyGroupsCheck }),
});

// Operations that read values: their calls count in larder_cache_requests_total.
const READS = new Set(['get', 'getOrSet', 'cached']);
const MULTI_READS = new Set(['multiGet', 'multiCached']);

interface Histogram {
  readonly cache: string;
  readonly op: string;
  readonly counts: number[];
  count: number;
  sum: number;
  errors: number;
  fallbacks: number;
}

/**
 * Counts the operations of the caches it is given to, for Prometheus or any other scraper: hits,
 * misses and stale answers per cache, operation and tier; a latency histogram per cache and
 * operation; failures (those safe mode answered for included); the L1's size and evictions; and
 * invalidation traffic. No key is ever a label; `keyGroups` adds a bounded `group` label.
 *
 * It reads the `larder:operation` and `larder:invalidation` channels while it is attached to an
 * open cache (a cache without it pays nothing), and keeps its figures itself: no client library.
 *
 * @example
 * ```ts
 * const metrics = new MetricsPlugin();
 * const cache = new Cache({ plugins: [metrics] });
 * http.createServer((req, res) => res.end(metrics.toPrometheus())); // GET /metrics
 * ```
 */
export class MetricsPlugin implements Plugin, TelemetryAware {
  readonly #buckets: readonly number[];
  readonly #groups: readonly (readonly [string, RegExp])[] | undefined;
  // Where each traced call's start time is kept, on its own context.
  readonly #started: symbol = Symbol('larder.metrics.started');
  readonly #caches = new Map<CacheView, CacheTelemetry>();
  readonly #requests = new Map<string, { row: Omit<RequestCount, 'count'>; count: number }>();
  readonly #histograms = new Map<string, Histogram>();
  readonly #invalidations = new Map<
    string,
    { cache: string; direction: string; source: string; count: number }
  >();
  readonly #gaps = new Map<string, { cache: string; source: string; count: number }>();
  readonly #handlers = {
    start: (ctx: OperationContext) => this.#start(ctx),
    asyncEnd: (ctx: OperationContext) => this.#settled(ctx),
  };
  readonly #onInvalidation = (message: unknown) => this.#invalidation(message as InvalidationMessage);

  /** @throws TypeError or RangeError for bad options. */
  constructor(options: MetricsPluginOptions = {}) {
    checkOptions(options, METRICS_PLUGIN_OPTIONS, 'MetricsPlugin');
    this.#buckets = [...(options.buckets ?? METRICS_PLUGIN_DEFAULTS.buckets), Infinity];
    const groups = options.keyGroups;
    if (groups !== undefined) {
      this.#groups = Object.entries(groups).map(
        ([label, pattern]) => [label, typeof pattern === 'string' ? new RegExp(pattern) : pattern] as const,
      );
    }
  }

  /** @internal A cache built with this plugin opened: count its operations. */
  [attachTelemetry](telemetry: CacheTelemetry): void {
    if (this.#caches.size === 0) {
      operationChannel.subscribe(this.#handlers as never);
      invalidationChannel.subscribe(this.#onInvalidation);
    }
    this.#caches.set(telemetry.view, telemetry);
  }

  /** @internal It closed: with no open cache left, stop listening (the fast paths come back). */
  [detachTelemetry](telemetry: CacheTelemetry): void {
    if (!this.#caches.delete(telemetry.view) || this.#caches.size > 0) return;
    operationChannel.unsubscribe(this.#handlers as never);
    invalidationChannel.unsubscribe(this.#onInvalidation);
  }

  #start(ctx: OperationContext): void {
    if (!this.#caches.has(ctx.cache) || ctx.internal === true) return;
    (ctx as unknown as Record<symbol, number>)[this.#started] = performance.now();
  }

  #settled(ctx: OperationContext): void {
    const started = (ctx as unknown as Record<symbol, number | undefined>)[this.#started];
    if (started === undefined) {
      // larder's own call is no request or duration of the application's; but its failure is one
      // of the cache's (a cached() read that failed open shows nowhere else), so it is counted.
      if (ctx.internal === true && ctx.error !== undefined && this.#caches.has(ctx.cache))
        this.#failure(cacheLabel(ctx.alias, ctx.cache.namespace), ctx.op, ctx.fallback === true);
      return;
    }
    const seconds = (performance.now() - started) / 1_000;
    const cache = cacheLabel(ctx.alias, ctx.cache.namespace);
    const failed = ctx.error !== undefined && ctx.fallback !== true;
    this.#observe(cache, ctx.op, seconds, failed, ctx.fallback === true);
    if (failed) return;
    const tier = ctx.tier ?? 'l2';
    if (READS.has(ctx.op) && ctx.hit !== undefined) {
      const result = ctx.stale === true ? 'stale' : ctx.hit ? 'hit' : 'miss';
      this.#request(cache, ctx.op, result, tier, this.#groupOf(ctx.key), 1);
    } else if (MULTI_READS.has(ctx.op) && ctx.hits !== undefined) {
      if (this.#groups !== undefined && ctx.keys !== undefined && Array.isArray(ctx.result)) {
        // Per key, each in its own group; multiGet answers in key order.
        const values = ctx.result as unknown[];
        ctx.keys.forEach((key, i) =>
          this.#request(cache, ctx.op, values[i] === undefined ? 'miss' : 'hit', tier, this.#groupOf(key), 1),
        );
        return;
      }
      const group = this.#groups === undefined ? undefined : 'other';
      this.#request(cache, ctx.op, 'hit', tier, group, ctx.hits);
      this.#request(cache, ctx.op, 'miss', tier, group, ctx.keyCount - ctx.hits);
    }
  }

  #groupOf(key: string | undefined): string | undefined {
    if (this.#groups === undefined) return undefined;
    if (key !== undefined) for (const [label, pattern] of this.#groups) if (pattern.test(key)) return label;
    return 'other';
  }

  #request(
    cache: string,
    op: string,
    result: RequestCount['result'],
    tier: string,
    group: string | undefined,
    n: number,
  ): void {
    if (n <= 0) return;
    const id = `${cache}\u0000${op}\u0000${result}\u0000${tier}\u0000${group ?? ''}`;
    const entry = this.#requests.get(id);
    if (entry !== undefined) entry.count += n;
    else
      this.#requests.set(id, {
        row: group === undefined ? { cache, op, result, tier } : { cache, op, result, tier, group },
        count: n,
      });
  }

  #observe(cache: string, op: string, seconds: number, failed: boolean, fallback: boolean): void {
    const histogram = this.#histogram(cache, op);
    const bucket = this.#buckets.findIndex((bound) => seconds <= bound);
    histogram.counts[bucket]!++;
    histogram.count++;
    histogram.sum += seconds;
    if (failed) histogram.errors++;
    if (fallback) histogram.fallbacks++;
  }

  // A failure of one of larder's own calls: in errors (or fallbacks), not in the call counts.
  #failure(cache: string, op: string, fallback: boolean): void {
    const histogram = this.#histogram(cache, op);
    if (fallback) histogram.fallbacks++;
    else histogram.errors++;
  }

  #histogram(cache: string, op: string): Histogram {
    const id = `${cache}\u0000${op}`;
    let histogram = this.#histograms.get(id);
    if (histogram === undefined) {
      histogram = {
        cache,
        op,
        counts: this.#buckets.map(() => 0),
        count: 0,
        sum: 0,
        errors: 0,
        fallbacks: 0,
      };
      this.#histograms.set(id, histogram);
    }
    return histogram;
  }

  #invalidation(message: InvalidationMessage): void {
    const cache = cacheLabel(message.alias, message.namespace);
    if (!this.#labels().has(cache)) return;
    if (message.type === 'message') {
      const id = `${cache}\u0000${message.direction}\u0000${message.source}`;
      const entry = this.#invalidations.get(id);
      if (entry !== undefined) entry.count++;
      else
        this.#invalidations.set(id, {
          cache,
          direction: message.direction,
          source: message.source,
          count: 1,
        });
    } else if (message.type === 'gap' && message.phase === 'start') {
      const id = `${cache}\u0000${message.source}`;
      const entry = this.#gaps.get(id);
      if (entry !== undefined) entry.count++;
      else this.#gaps.set(id, { cache, source: message.source, count: 1 });
    }
  }

  #labels(): Set<string> {
    return new Set(
      [...this.#caches.values()].map((telemetry) => cacheLabel(telemetry.alias, telemetry.view.namespace)),
    );
  }

  /** Every figure since construction or the last {@link MetricsPlugin.reset}. */
  stats(): MetricsStats {
    const bounds = this.#buckets;
    return {
      requests: [...this.#requests.values()].map(({ row, count }) => ({ ...row, count })),
      operations: [...this.#histograms.values()].map((h) => {
        let cumulative = 0;
        const buckets = h.counts.map((n, i) => ({ le: bounds[i]!, count: (cumulative += n) }));
        return {
          cache: h.cache,
          op: h.op,
          count: h.count,
          sumSeconds: h.sum,
          buckets,
          errors: h.errors,
          fallbacks: h.fallbacks,
        };
      }),
      l1: [...this.#caches.values()].flatMap((telemetry) => {
        const l1 = telemetry.l1;
        if (l1 === undefined) return [];
        return [
          {
            cache: cacheLabel(telemetry.alias, telemetry.view.namespace),
            entries: l1.entries,
            evictions: { ...l1.evictions() },
          },
        ];
      }),
      invalidations: [...this.#invalidations.values()].map((entry) => ({ ...entry })),
      gaps: [...this.#gaps.values()].map((entry) => ({ ...entry })),
    };
  }

  /** The figures in the Prometheus text exposition format (serve it with {@link PROMETHEUS_CONTENT_TYPE}). */
  toPrometheus(): string {
    return metricsExposition(this.stats());
  }

  /** Sets every figure back to zero (the L1's own counts are the L1's). */
  reset(): void {
    this.#requests.clear();
    this.#histograms.clear();
    this.#invalidations.clear();
    this.#gaps.clear();
  }
}

// The `cache` label: the cache's name, else its namespace, else '' (one unnamed cache).
function cacheLabel(alias: string | undefined, namespace: string | undefined): string {
  return alias ?? namespace ?? '';
}

/** The `metrics` plugin type: `plugins: ['metrics']` or `{ type: 'metrics', buckets, keyGroups }`. */
export const METRICS_PLUGIN_DESCRIPTOR: PluginDescriptor<MetricsPluginOptions> = Object.freeze({
  kind: 'plugin',
  type: 'metrics',
  options: METRICS_PLUGIN_OPTIONS,
  build: (options: MetricsPluginOptions) => new MetricsPlugin(options),
});
