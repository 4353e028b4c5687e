import { isPromiseLike } from '../promise.js';
import {
  CACHE_OPERATIONS,
  HOOK_NAMES,
  type CacheOperation,
  type HookName,
  type Plugin,
  type PreHookContext,
} from './plugin.js';

type HookFunction = (ctx: PreHookContext) => unknown;

interface BoundHook {
  readonly plugin: Plugin;
  readonly name: HookName;
  readonly fn: HookFunction;
}

/** The hooks plugins register for one operation. */
export interface OperationHooks {
  readonly pre: readonly BoundHook[];
  readonly post: readonly BoundHook[];
}

/** Called with what a hook threw (or rejected with). */
export type HookFailure = (error: unknown, hook: HookName, plugin: Plugin, ctx: PreHookContext) => void;

/**
 * Which plugins hook which operation, worked out once when the cache is built, so an operation
 * nobody observes pays nothing and one that is observed pays only for its own hooks.
 */
export class PluginHooks {
  readonly #byOperation: Readonly<Record<CacheOperation, OperationHooks | undefined>>;
  readonly #onFailure: HookFailure;

  constructor(plugins: readonly Plugin[], onFailure: HookFailure) {
    this.#onFailure = onFailure;
    const table = {} as Record<CacheOperation, OperationHooks | undefined>;
    for (const op of CACHE_OPERATIONS) {
      const pre = bind(plugins, HOOK_NAMES[op].pre);
      const post = bind(plugins, HOOK_NAMES[op].post);
      table[op] = pre.length + post.length === 0 ? undefined : { pre, post };
    }
    this.#byOperation = table;
  }

  /** The hooks of `op`, or `undefined` when no plugin observes it. */
  of(op: CacheOperation): OperationHooks | undefined {
    return this.#byOperation[op];
  }

  /**
   * Calls `hooks` in order. Synchronous hooks run at once; the returned promise (only when some
   * hook answered with one) settles after every later hook has run too. Failures never escape.
   */
  run(hooks: readonly BoundHook[], ctx: PreHookContext): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    for (const hook of hooks) {
      pending = pending === undefined ? this.#call(hook, ctx) : pending.then(() => this.#call(hook, ctx));
    }
    return pending;
  }

  #call(hook: BoundHook, ctx: PreHookContext): Promise<void> | undefined {
    try {
      const answer = hook.fn.call(hook.plugin, ctx);
      if (isPromiseLike(answer)) {
        return Promise.resolve(answer).then(
          () => undefined,
          (error: unknown) => this.#onFailure(error, hook.name, hook.plugin, ctx),
        );
      }
    } catch (error) {
      this.#onFailure(error, hook.name, hook.plugin, ctx);
    }
    return undefined;
  }
}

function bind(plugins: readonly Plugin[], name: HookName): BoundHook[] {
  const hooks: BoundHook[] = [];
  for (const plugin of plugins) {
    const fn = plugin[name] as HookFunction | undefined;
    if (typeof fn === 'function') hooks.push({ plugin, name, fn });
  }
  return hooks;
}
