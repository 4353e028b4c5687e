import { describeValue } from '../describe.js';
import { refuseUnknownOptions } from '../options-schema.js';
import type { CacheView, Plugin } from '../plugins/plugin.js';
import { attachTelemetry, detachTelemetry, type TelemetryAware } from './attach.js';
import { operationChannel, type CacheTier, type OperationContext } from './channels.js';
import { startedInternally } from './internal.js';

/** The `telemetry` option of a Cache. */
export interface TelemetryOptions {
  /**
   * Put the keys on the `larder:operation` contexts (and so on spans). Keys often hold user ids
   * or emails: leave this off unless your telemetry may hold them.
   * @default false
   */
  readonly includeKeys?: boolean;
  /** With `includeKeys`, what is published instead of each key (say, a hash, or the key's prefix). */
  readonly keySanitizer?: (key: string) => string;
  /**
   * The name telemetry gives this cache (the `alias` field, the `cache` label of metrics).
   * @default the alias, for a cache the `caches` registry built; else none
   */
  readonly alias?: string;
}

/** Where a cache's L1 reports its size and evictions (read when metrics are collected). */
export interface L1Source {
  /** Entries held now. */
  readonly entries: number;
  /** Evictions since the L1 was built, by reason (`'size'`, `'bytes'`, `'ttl'`, `'invalidation'`, …). */
  evictions(): Readonly<Record<string, number>>;
}

const TELEMETRY_OPTION_NAMES: readonly (keyof TelemetryOptions)[] = ['includeKeys', 'keySanitizer', 'alias'];

/**
 * One cache's side of telemetry: its name, what it publishes of keys, the plugins that listen,
 * and how it builds the context of a traced call (only when the channel has subscribers).
 */
export class CacheTelemetry {
  readonly view: CacheView;
  readonly alias: string | undefined;
  readonly plugins: readonly Plugin[];
  readonly #includeKeys: boolean;
  readonly #sanitize: ((key: string) => string) | undefined;
  #l1: L1Source | undefined;
  #attached = false;

  /** @throws TypeError for a bad `telemetry` option. */
  constructor(options: TelemetryOptions | undefined, view: CacheView, plugins: readonly Plugin[]) {
    checkTelemetryOptions(options);
    this.view = view;
    this.alias = options?.alias;
    this.plugins = plugins;
    this.#includeKeys = options?.includeKeys === true;
    this.#sanitize = options?.keySanitizer;
  }

  /** The L1 in front of the backend, if any, for metrics. The L1 calls it once it is built. */
  get l1(): L1Source | undefined {
    return this.#l1;
  }

  reportL1(source: L1Source | undefined): void {
    this.#l1 = source;
  }

  /** Tells the plugins that listen for telemetry that they observe this cache (once). */
  attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    for (const plugin of this.plugins) (plugin as Partial<TelemetryAware>)[attachTelemetry]?.(this);
  }

  /** Tells them the cache closed (once). */
  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    for (const plugin of this.plugins) (plugin as Partial<TelemetryAware>)[detachTelemetry]?.(this);
  }

  /** The context of one call. Call it only when {@link operationChannel} has subscribers. */
  context(
    op: string,
    key: unknown,
    keys: readonly unknown[] | undefined,
    namespace: string | undefined,
    extra?: { readonly function?: string; readonly internal?: boolean },
  ): OperationContext {
    const keyCount = keys !== undefined ? keys.length : key === undefined ? 0 : 1;
    const ctx: { -readonly [F in keyof OperationContext]: OperationContext[F] } = {
      op,
      namespace: namespace === undefined ? this.view.namespace : namespace === '' ? undefined : namespace,
      alias: this.alias,
      keyCount,
      cache: this.view,
    };
    if (extra?.function !== undefined) ctx.function = extra.function;
    // larder's own call: marked by its caller, or started inside internally().
    if (extra?.internal === true || startedInternally()) ctx.internal = true;
    if (this.#includeKeys) {
      if (keys !== undefined) ctx.keys = keys.map((one) => this.#published(one));
      else if (key !== undefined) ctx.key = this.#published(key);
    }
    return ctx;
  }

  /** Runs `work` traced on `larder:operation` with `ctx`. */
  trace<T>(ctx: OperationContext, work: () => Promise<T>): Promise<T> {
    return operationChannel.tracePromise(work, ctx);
  }

  #published(key: unknown): string {
    try {
      const text = String(key);
      return this.#sanitize === undefined ? text : String(this.#sanitize(text));
    } catch {
      // A key that cannot be turned into text (the operation rejects it), or a sanitizer that
      // throws: publish a placeholder, never the key it could not clean, and never throw here.
      return '[unsanitized]';
    }
  }
}

/** Each cache's telemetry, for the read-throughs above it (cached(), multiCached()). */
export const telemetryOfCache = new WeakMap<object, CacheTelemetry>();

/**
 * Checks a `telemetry` option.
 *
 * @throws TypeError naming the field at fault.
 */
export function checkTelemetryOptions(options: TelemetryOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`telemetry must be an object; got ${describeValue(options)}`);
  refuseUnknownOptions(options, TELEMETRY_OPTION_NAMES, 'telemetry');
  const { includeKeys, keySanitizer, alias } = options;
  if (includeKeys !== undefined && typeof includeKeys !== 'boolean')
    throw new TypeError(`telemetry.includeKeys must be true or false; got ${describeValue(includeKeys)}`);
  if (keySanitizer !== undefined && typeof keySanitizer !== 'function')
    throw new TypeError(`telemetry.keySanitizer must be a function; got ${describeValue(keySanitizer)}`);
  if (alias !== undefined && typeof alias !== 'string')
    throw new TypeError(`telemetry.alias must be a string; got ${describeValue(alias)}`);
}

/** Whether any subscriber listens on `larder:operation`: the one flag the fast paths check. */
export function tracing(): boolean {
  return operationChannel.hasSubscribers;
}

/**
 * Marks a failure safe mode answered for on the call's context and publishes it on `error`
 * (`fallback: true`); the call then resolves as usual.
 */
export function publishFallback(ctx: OperationContext, error: unknown): void {
  ctx.error = error;
  ctx.fallback = true;
  operationChannel.error.publish(ctx);
}

/** The read outcome of a get-like call, set on its context: found, and by which tier. */
export function markRead(ctx: OperationContext, found: boolean, tier: CacheTier = 'l2'): void {
  ctx.hit = found;
  ctx.tier = tier;
}
