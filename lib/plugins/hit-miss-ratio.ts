import type { PluginDescriptor } from '../component.js';
import { checkOptions, NO_OPTIONS } from '../options-schema.js';
import type { Plugin, PostHookContext } from './plugin.js';

/** What {@link HitMissRatioPlugin.stats} reports. */
export interface HitMissStats {
  readonly hits: number;
  readonly misses: number;
  /** `hits + misses`. */
  readonly total: number;
  /** `hits / total`, or `0` before any lookup. */
  readonly hitRatio: number;
}

/**
 * Counts cache hits and misses. Every key looked up counts once: one for `get` (so also the read
 * inside `getOrSet`), one per key for `multiGet`. A lookup that failed and was not answered by
 * safe mode counts as neither.
 *
 * @example
 * ```ts
 * const ratio = new HitMissRatioPlugin();
 * const cache = new Cache({ plugins: [ratio] });
 * // … later
 * logger.info(ratio.stats(), 'cache effectiveness'); // { hits, misses, total, hitRatio }
 * ```
 */
export class HitMissRatioPlugin implements Plugin {
  #hits = 0;
  #misses = 0;

  /** @throws TypeError for any option: it takes none. */
  constructor(options?: Readonly<Record<string, never>>) {
    checkOptions(options, NO_OPTIONS, 'HitMissRatioPlugin');
  }

  postGet(ctx: PostHookContext): void {
    if ('error' in ctx) return;
    if (ctx.result === undefined) this.#misses++;
    else this.#hits++;
  }

  postMultiGet(ctx: PostHookContext): void {
    if ('error' in ctx || !Array.isArray(ctx.result)) return;
    for (const value of ctx.result) {
      if (value === undefined) this.#misses++;
      else this.#hits++;
    }
  }

  /** The counts since construction or the last {@link HitMissRatioPlugin.reset}. */
  stats(): HitMissStats {
    const total = this.#hits + this.#misses;
    return { hits: this.#hits, misses: this.#misses, total, hitRatio: total === 0 ? 0 : this.#hits / total };
  }

  /** Sets every count back to zero. */
  reset(): void {
    this.#hits = 0;
    this.#misses = 0;
  }
}

/** The `hit-miss-ratio` plugin type: `plugins: ['hit-miss-ratio']`. It takes no options. */
export const HIT_MISS_RATIO_PLUGIN_DESCRIPTOR: PluginDescriptor<Readonly<Record<string, never>>> =
  Object.freeze({
    kind: 'plugin',
    type: 'hit-miss-ratio',
    options: NO_OPTIONS,
    build: (options: Readonly<Record<string, never>>) => new HitMissRatioPlugin(options),
  });
