import type { Logger } from '../logger.js';
import type { attachTelemetry, TelemetryAware } from '../telemetry/attach.js';

/** Every cache operation plugins can observe, in the order of the Cache API table. */
export const CACHE_OPERATIONS = Object.freeze([
  'get',
  'multiGet',
  'set',
  'add',
  'multiSet',
  'exists',
  'increment',
  'expire',
  'ttl',
  'delete',
  'multiDelete',
  'deletePattern',
  'clear',
  'invalidateTags',
  'getOrSet',
  'raw',
  'lock',
  'optimisticLock',
] as const);

/** The name of a cache operation, as used in plugin hooks, logs and errors. */
export type CacheOperation = (typeof CACHE_OPERATIONS)[number];

/** The name of a plugin hook: `preGet`, `postMultiSet`, … */
export type HookName = `${'pre' | 'post'}${Capitalize<CacheOperation>}`;

/** The hook names of each operation, computed once. */
export const HOOK_NAMES: Readonly<
  Record<CacheOperation, { readonly pre: HookName; readonly post: HookName }>
> = Object.freeze(
  Object.fromEntries(
    CACHE_OPERATIONS.map((op) => {
      const suffix = `${op[0]!.toUpperCase()}${op.slice(1)}` as Capitalize<CacheOperation>;
      return [op, Object.freeze({ pre: `pre${suffix}` as const, post: `post${suffix}` as const })];
    }),
  ) as Record<CacheOperation, { pre: HookName; post: HookName }>,
);

/**
 * What a plugin sees of the cache running an operation: enough to label what it records, nothing
 * that would let it call the cache back from inside its own operation.
 */
export interface CacheView {
  /** The cache's namespace, if any. */
  readonly namespace: string | undefined;
  /** The cache's key version, if any. */
  readonly version: string | undefined;
  /** The backend's name, e.g. `'memory'` or `'redis'`. */
  readonly backend: string;
  /** The cache's logger. */
  readonly logger: Logger;
}

/** What a `pre<Op>` hook sees. */
export interface PreHookContext {
  /** The cache running the operation, as plugins see it. */
  readonly cache: CacheView;
  /** The operation's name. */
  readonly op: CacheOperation;
  /** The key as the caller gave it, for single-key operations. */
  readonly key?: unknown;
  /** The keys as the caller gave them, for multi-key operations. */
  readonly keys?: readonly unknown[];
  /** The per-call options, if any. */
  readonly options?: unknown;
}

/** What a `post<Op>` hook sees: the pre-hook context plus the outcome. */
/** Which tier answered a read: the in-process L1, or the backend behind it. */
export type Tier = 'l1' | 'l2';

export interface PostHookContext extends PreHookContext {
  /** The operation's result, when it succeeded. */
  readonly result?: unknown;
  /** The error the operation rejects with, when it failed. */
  readonly error?: unknown;
  /** Wall-clock time the operation took, hooks excluded. */
  readonly durationMs: number;
  /**
   * Which tier answered a read (`get`, `multiGet`) of a cache with an L1: `'l1'` when the L1 held
   * every key asked, else `'l2'`. Absent without an L1.
   */
  readonly tier?: Tier;
}

type Hook<C> = (ctx: C) => void | Promise<void>;

/**
 * Observes cache operations. Every hook is optional and may be sync or async; a cache with no
 * plugins pays nothing for the mechanism. A hook that throws is logged and does not change the
 * operation's result. Plugins keep their own state.
 *
 * @example
 * ```ts
 * const slowLog: Plugin = { postGet: ({ key, durationMs }) => { if (durationMs > 50) log.warn({ key }, 'slow get'); } };
 * ```
 */
export type Plugin = {
  readonly [Op in CacheOperation as `pre${Capitalize<Op>}`]?: Hook<PreHookContext>;
} & {
  readonly [Op in CacheOperation as `post${Capitalize<Op>}`]?: Hook<PostHookContext>;
} & {
  /** @internal How a plugin hears of the caches it observes (see lib/telemetry/attach.ts). */
  readonly [attachTelemetry]?: TelemetryAware[typeof attachTelemetry];
};
