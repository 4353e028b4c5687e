import { BackendThrew } from './backend-port.js';
import { Deadlines } from './deadlines.js';
import { parseTimeout } from './duration.js';
import {
  BackendError,
  CacheClosedError,
  CacheTimeoutError,
  LarderError,
  SerializationError,
} from './errors.js';
import type { Logger } from './logger.js';
import type { OperationOptions } from './options.js';
import { PluginHooks } from './plugins/hooks.js';
import type {
  CacheOperation,
  CacheView,
  Plugin,
  PostHookContext,
  PreHookContext,
  Tier,
} from './plugins/plugin.js';
import { MAX_TIMER_MS, isPending, settleWithin } from './promise.js';
import { operationChannel, type OperationContext } from './telemetry/channels.js';
import { markRead, publishFallback, type CacheTelemetry } from './telemetry/cache-telemetry.js';

/** Marks operations that have no "nothing happened" answer in safe mode. */
export const NO_FALLBACK: unique symbol = Symbol('no fallback');

/**
 * What the runner runs: every operation plugins observe, and the pages of `scan` (which has no
 * hooks: a walk is many calls).
 */
export type RunnableOperation = CacheOperation | 'scan';

/** A safe-mode answer: a value, a function making one, or none. */
export type Fallback<T> = T | (() => T) | typeof NO_FALLBACK;

/** One call of a cache operation, as the runner runs it. */
export interface Operation<T> {
  readonly op: RunnableOperation;
  /** The key as the caller gave it, for single-key operations (hooks, errors, logs). */
  readonly key?: unknown;
  /** The keys as the caller gave them, for multi-key operations. */
  readonly keys?: readonly unknown[];
  readonly options?: OperationOptions | undefined;
  /** What safe mode answers when the backend fails or times out. */
  readonly fallback: Fallback<T>;
  /**
   * Checks the arguments, calls the backend (through the BackendPort) and maps its answer. A
   * synchronous throw is the caller's mistake unless the port marked it as the backend's. `ctx` is
   * the call's telemetry context, when the operation channel has subscribers (see lib/telemetry).
   */
  readonly work: (ctx?: OperationContext) => T | PromiseLike<T>;
  /**
   * Whether a rejection of `work`'s promise is a backend failure (else it is passed on as it is:
   * getOrSet's factory errors). @default true
   */
  readonly fromBackend?: boolean;
  /** Whether the time limit applies to `work` as a whole (getOrSet's reads and writes have their own). @default true */
  readonly timed?: boolean;
  /**
   * larder's own traffic on behalf of another operation (a lock larder took for itself): traced
   * with `internal: true`, which metrics and spans leave out. A call started inside
   * `internally()` (lib/telemetry/internal.ts) is marked without it. @default false
   */
  readonly internal?: boolean;
  /** Which tier answered, once `work` has (reads of a cache with an L1), for the post hooks. */
  readonly tierOf?: () => Tier | undefined;
}

/** What a runner needs to know of its cache. */
export interface RunnerSettings {
  readonly backendName: string;
  /** Whether the backend answers synchronously (see Backend.synchronous). */
  readonly synchronous: boolean;
  readonly timeoutMs: number;
  readonly safe: boolean;
  readonly plugins: readonly Plugin[];
  readonly logger: Logger;
  /** What plugin hooks see of the cache. */
  readonly view: CacheView;
  /** How calls are traced on `larder:operation`. */
  readonly telemetry: CacheTelemetry;
}

/**
 * The one template every cache operation runs through: closed and abort checks, pre hooks, the
 * backend work under the time limit (a timer only when the backend answers with a promise),
 * failure classification, safe-mode answers, post hooks. The cache's get/set fast paths use its
 * pieces ({@link timed}, {@link recover}) so that they answer exactly as a run would.
 */
export class OperationRunner {
  readonly #settings: RunnerSettings;
  readonly #hooks: PluginHooks;
  // The shared timer of operations under the default time limit (undefined: no limit).
  readonly #deadlines: Deadlines | undefined;
  #closed = false;

  constructor(settings: RunnerSettings) {
    this.#settings = settings;
    const { timeoutMs, logger } = settings;
    this.#deadlines =
      timeoutMs === 0 || timeoutMs > MAX_TIMER_MS
        ? undefined
        : new Deadlines(timeoutMs, (op, key) => new CacheTimeoutError(op, timeoutMs, key));
    this.#hooks = new PluginHooks(settings.plugins, (err, hook, plugin, ctx) =>
      logger.error(
        { op: ctx.op, hook, plugin: plugin.constructor?.name, err },
        'plugin hook threw; the operation goes on',
      ),
    );
  }

  /** Whether any plugin observes `op` (a fast path must then not be taken). */
  observes(op: CacheOperation): boolean {
    return this.#hooks.of(op) !== undefined;
  }

  /** Whether {@link close} was called: every later run rejects with CacheClosedError. */
  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    this.#settings.telemetry.detach();
  }

  /** Runs one operation through the whole template (traced, while anyone listens). */
  run<T>(operation: Operation<T>): Promise<T> {
    if (operationChannel.hasSubscribers) return this.#traced(operation);
    return this.#run(operation, undefined);
  }

  #traced<T>(operation: Operation<T>): Promise<T> {
    const { op, key, keys, options } = operation;
    const telemetry = this.#settings.telemetry;
    const ctx = telemetry.context(
      op,
      key,
      keys,
      options?.namespace,
      operation.internal ? INTERNAL : undefined,
    );
    return telemetry.trace(ctx, () => this.#run(operation, ctx));
  }

  async #run<T>(operation: Operation<T>, ctx: OperationContext | undefined): Promise<T> {
    const { op, key, keys, options } = operation;
    if (this.#closed) throw new CacheClosedError(op);
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    const timeoutMs =
      options?.timeout === undefined ? this.#settings.timeoutMs : parseTimeout(options.timeout);
    const hooks = op === 'scan' ? undefined : this.#hooks.of(op);
    const started = hooks === undefined ? 0 : performance.now();
    if (hooks !== undefined && hooks.pre.length > 0) {
      // Awaited only when some hook answered with a promise: synchronous hooks add no tick.
      const pending = this.#hooks.run(
        hooks.pre,
        this.#context(operation as Operation<T> & { op: CacheOperation }),
      );
      if (pending !== undefined) await pending;
    }

    let result: T | undefined;
    let failure: unknown;
    let failed = false;
    // A synchronous throw is the caller's mistake (a key, a value, an option), unless the port
    // marked it as the backend's; what the answer rejects with is the backend's failure.
    let answered = false;
    try {
      const answer = operation.work(ctx);
      answered = true;
      result = isPending(answer, this.#settings.synchronous)
        ? await this.#limit(answer, operation, timeoutMs)
        : answer;
      if (ctx !== undefined) readOutcome(ctx, op, result, operation.tierOf?.());
    } catch (error) {
      try {
        const fromBackend = answered && operation.fromBackend !== false;
        result = this.recover(op, key, error, operation.fallback, signal, fromBackend, ctx);
        if (ctx !== undefined) readOutcome(ctx, op, result, operation.tierOf?.());
      } catch (unrecovered) {
        failure = unrecovered;
        failed = true;
      }
    }
    if (hooks !== undefined && hooks.post.length > 0) {
      const durationMs = performance.now() - started;
      const view = this.#settings.view;
      const hooked = op as CacheOperation;
      const tier = operation.tierOf?.();
      const post: PostHookContext = failed
        ? { cache: view, op: hooked, key, keys, options, error: failure, durationMs }
        : tier === undefined
          ? { cache: view, op: hooked, key, keys, options, result, durationMs }
          : { cache: view, op: hooked, key, keys, options, result, durationMs, tier };
      const pending = this.#hooks.run(hooks.post, post);
      if (pending !== undefined) await pending;
    }
    if (failed) throw failure;
    return result as T;
  }

  /** A backend's pending answer under the cache's default time limit. */
  timed<T>(answer: PromiseLike<T>, op: RunnableOperation, key: unknown): Promise<T> {
    // Promise.resolve hands a native promise back as it is: no allocation without a limit.
    return this.#deadlines === undefined
      ? Promise.resolve(answer)
      : this.#deadlines.race(answer, op, typeof key === 'string' ? key : undefined);
  }

  /**
   * Classifies a failure; returns the safe-mode answer, or throws what the caller should see.
   *
   * @param fromBackend - whether an unmarked error that is no LarderError came from the backend
   *   (a rejection of its answer) rather than from the caller's arguments.
   * @param ctx - the call's telemetry context: a failure safe mode answers for is published on it.
   */
  recover<T>(
    op: RunnableOperation,
    key: unknown,
    error: unknown,
    fallback: Fallback<T>,
    signal: AbortSignal | undefined,
    fromBackend: boolean,
    ctx?: OperationContext,
  ): T {
    if (signal?.aborted && error === signal.reason) throw error;
    const classified = this.#classify(op, error, fromBackend);
    // A stored payload that cannot be decoded (corrupt, tampered, wrong secret) is worth an
    // operator's attention whether or not the caller sees it.
    const unreadable = classified instanceof SerializationError && (op === 'get' || op === 'multiGet');
    const degradable =
      unreadable || classified instanceof BackendError || classified instanceof CacheTimeoutError;
    const degrade = this.#settings.safe && degradable && fallback !== NO_FALLBACK;
    if (degrade || unreadable) {
      this.#settings.logger.warn(
        { op, key: typeof key === 'string' ? key : undefined, err: classified },
        degrade
          ? 'cache operation failed; safe mode answers as if nothing happened'
          : 'stored payload could not be read',
      );
    }
    if (!degrade) throw classified;
    if (ctx !== undefined) publishFallback(ctx, classified);
    return typeof fallback === 'function' ? (fallback as () => T)() : (fallback as T);
  }

  /** A fast path's failure, answered as {@link run} would answer it. */
  failed<T>(
    op: RunnableOperation,
    key: unknown,
    error: unknown,
    fallback: Fallback<T>,
    fromBackend: boolean,
  ): Promise<T> {
    try {
      return Promise.resolve(this.recover(op, key, error, fallback, undefined, fromBackend));
    } catch (unrecovered) {
      return Promise.reject(unrecovered);
    }
  }

  #classify(op: RunnableOperation, error: unknown, fromBackend: boolean): unknown {
    if (error instanceof BackendThrew) return new BackendError(op, this.#settings.backendName, error.cause);
    if (error instanceof LarderError || !fromBackend) return error;
    return new BackendError(op, this.#settings.backendName, error);
  }

  // A pending answer under the operation's time limit and signal.
  #limit<T>(answer: PromiseLike<T>, operation: Operation<T>, timeoutMs: number): Promise<T> {
    const { op, key, options } = operation;
    const signal = options?.signal;
    const timed = operation.timed !== false;
    if (timed && signal === undefined && timeoutMs === this.#settings.timeoutMs)
      return this.timed(answer, op, key);
    return settleWithin(
      answer,
      timed ? timeoutMs : 0,
      signal,
      () => new CacheTimeoutError(op, timeoutMs, typeof key === 'string' ? key : undefined),
    );
  }

  #context(operation: Operation<unknown> & { op: CacheOperation }): PreHookContext {
    const { op, key, keys, options } = operation;
    return { cache: this.#settings.view, op, key, keys, options };
  }
}

const INTERNAL = Object.freeze({ internal: true });

// What a traced read found, on its context, and the tier that answered (the L1's reads tell it;
// getOrSet's engine sets its own).
function readOutcome(
  ctx: OperationContext,
  op: RunnableOperation,
  result: unknown,
  tier: Tier | undefined,
): void {
  if (op === 'get') markRead(ctx, result !== undefined, tier);
  else if (op === 'multiGet' && Array.isArray(result)) {
    const hits = result.reduce((found: number, value) => (value === undefined ? found : found + 1), 0);
    ctx.hits = hits;
    markRead(ctx, hits === result.length, tier);
  }
}
