import type { PluginDescriptor } from '../component.js';
import { checkOptions, checks, type OptionsSchema } from '../options-schema.js';
import type { CacheOperation, Plugin, PostHookContext } from './plugin.js';

/** Timings of one operation, in milliseconds. */
export interface OperationTiming {
  /** Calls since construction or the last reset (successful or not). */
  readonly count: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly avgMs: number;
  /** Median of the most recent `window` calls. */
  readonly p50Ms: number;
  /** 99th percentile of the most recent `window` calls. */
  readonly p99Ms: number;
}

/** Options of {@link TimingPlugin}. */
export interface TimingPluginOptions {
  /**
   * How many of the most recent durations per operation the percentiles are computed over.
   * @default 1024
   */
  readonly window?: number;
}

/** The frozen defaults of {@link TimingPluginOptions}. */
export const TIMING_PLUGIN_DEFAULTS = Object.freeze({ window: 1_024 });

/** The options schema of {@link TimingPlugin}, for its constructor and for configs. */
export const TIMING_PLUGIN_OPTIONS: OptionsSchema = Object.freeze({
  fields: Object.freeze({ window: checks.integer(1) }),
});

class OperationStats {
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;
  readonly recent: Float64Array;
  next = 0;

  constructor(window: number) {
    this.recent = new Float64Array(window);
  }

  add(ms: number): void {
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    this.recent[this.next] = ms;
    this.next = (this.next + 1) % this.recent.length;
  }

  summary(): OperationTiming {
    const kept = this.recent.slice(0, Math.min(this.count, this.recent.length)).sort();
    const at = (q: number): number => kept[Math.min(kept.length - 1, Math.floor(q * kept.length))]!;
    return {
      count: this.count,
      minMs: this.min,
      maxMs: this.max,
      avgMs: this.sum / this.count,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
    };
  }
}

/**
 * Times every cache operation: count, min, max and average since the last reset, and p50/p99 over
 * a bounded window of the most recent calls, so memory stays constant however long it runs.
 *
 * @example
 * ```ts
 * const timing = new TimingPlugin({ window: 2048 });
 * const cache = new Cache({ plugins: [timing] });
 * timing.stats().get?.p99Ms;
 * ```
 */
export class TimingPlugin implements Plugin {
  readonly window: number;
  #stats = new Map<CacheOperation, OperationStats>();

  /**
   * @throws RangeError if `window` is not a positive integer; TypeError for an unknown option.
   */
  constructor(options: TimingPluginOptions = {}) {
    checkOptions(options, TIMING_PLUGIN_OPTIONS, 'TimingPlugin');
    this.window = options.window ?? TIMING_PLUGIN_DEFAULTS.window;
  }

  postGet = this.#record;
  postMultiGet = this.#record;
  postSet = this.#record;
  postAdd = this.#record;
  postMultiSet = this.#record;
  postExists = this.#record;
  postIncrement = this.#record;
  postExpire = this.#record;
  postTtl = this.#record;
  postDelete = this.#record;
  postMultiDelete = this.#record;
  postDeletePattern = this.#record;
  postClear = this.#record;
  postGetOrSet = this.#record;
  postRaw = this.#record;
  postLock = this.#record;
  postOptimisticLock = this.#record;

  /** Timings per operation that has run since the last reset. */
  stats(): Partial<Record<CacheOperation, OperationTiming>> {
    const result: Partial<Record<CacheOperation, OperationTiming>> = {};
    for (const [op, stats] of this.#stats) result[op] = stats.summary();
    return result;
  }

  /** Forgets every timing. */
  reset(): void {
    this.#stats = new Map();
  }

  // Every post hook above is this one function: the cache calls hooks with `this` bound to the plugin.
  #record(ctx: PostHookContext): void {
    let stats = this.#stats.get(ctx.op);
    if (stats === undefined) this.#stats.set(ctx.op, (stats = new OperationStats(this.window)));
    stats.add(ctx.durationMs);
  }
}

/** The `timing` plugin type: `plugins: ['timing']` or `{ type: 'timing', window }`. */
export const TIMING_PLUGIN_DESCRIPTOR: PluginDescriptor<TimingPluginOptions> = Object.freeze({
  kind: 'plugin',
  type: 'timing',
  options: TIMING_PLUGIN_OPTIONS,
  build: (options: TimingPluginOptions) => new TimingPlugin(options),
});
