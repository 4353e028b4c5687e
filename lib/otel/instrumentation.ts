import { createRequire } from 'node:module';
import { tracingChannel, type TracingChannel } from 'node:diagnostics_channel';
import type { AsyncLocalStorage } from 'node:async_hooks';
import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { InstrumentationBase, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { OPERATION_CHANNEL, type OperationContext } from '../telemetry/channels.js';

/** Options of {@link LarderInstrumentation}. */
export interface LarderInstrumentationConfig extends InstrumentationConfig {
  /**
   * Make spans only for operations that run under a span already (a request's, a job's): a
   * cache call made at startup or from a timer then makes none.
   * @default true
   */
  readonly requireParentSpan?: boolean;
  /**
   * Also make spans of larder's own traffic made on behalf of another operation (contexts marked
   * `internal`: bus publishes, tag lookups, a read-through's hit counter and lock, a guard's
   * state), as children of that operation's span, with `cache.internal: true`.
   * @default false
   */
  readonly internalSpans?: boolean;
}

// Where a call's span is kept: on the call's own context object, which the channel hands to every
// event of that call. Never in a map keyed by cache key, where concurrent calls for one key from
// two requests would end up in each other's traces.
const SPAN: unique symbol = Symbol('larder.otel.span');
type Traced = OperationContext & { [SPAN]?: Span };

const { name: PACKAGE_NAME, version: PACKAGE_VERSION } = createRequire(import.meta.url)(
  '../../package.json',
) as {
  name: string;
  version: string;
};

/**
 * An OpenTelemetry instrumentation of larder: one INTERNAL span per cache operation (`cache.get`,
 * `cache.getOrSet`, `cache.cached`, …) with `cache.operation`, `cache.hit`, `cache.tier`,
 * `cache.stale` and `db.namespace`, made from the `larder:operation` channel. The operation's work
 * runs with its span active, so the spans of what it calls (ioredis' commands, through an ioredis
 * instrumentation) are its children. Keys are on the spans only with the cache's
 * `telemetry: { includeKeys: true }`.
 *
 * @example
 * ```ts
 * registerInstrumentations({ instrumentations: [new LarderInstrumentation()] });
 * ```
 */
export class LarderInstrumentation extends InstrumentationBase<LarderInstrumentationConfig> {
  readonly #channel: TracingChannel<unknown, Traced> = tracingChannel<unknown, Traced>(OPERATION_CHANNEL);
  // A store for the channel's `start.bindStore`: the channel runs each operation's work inside
  // `store.run(transform(ctx), work)`, and this one runs it inside `context.with`, so the span is
  // the active context of everything the work does, whatever context manager is registered.
  readonly #store = { run: <R>(active: Context, work: () => R): R => context.with(active, work) };
  readonly #handlers = {
    start: () => undefined,
    end: (ctx: Traced) => {
      // A synchronous throw has no asyncEnd: the span ends here. (A failure safe mode answered
      // for resolves later, and ends at asyncEnd.)
      if (ctx.error !== undefined && ctx.fallback !== true) this.#finish(ctx);
    },
    asyncStart: () => undefined,
    asyncEnd: (ctx: Traced) => this.#finish(ctx),
    error: () => undefined,
  };
  #enabled = false;

  constructor(config: LarderInstrumentationConfig = {}) {
    // Enabled below, once this class's own fields exist: the base class would enable it before.
    super(PACKAGE_NAME, PACKAGE_VERSION, { ...config, enabled: false });
    this.setConfig({ ...config, enabled: config.enabled !== false });
    if (config.enabled !== false) this.enable();
  }

  /** No module is patched: larder publishes on its channel, which this subscribes to. */
  protected override init(): [] {
    return [];
  }

  override enable(): void {
    if (this.#enabled) return;
    this.#enabled = true;
    this.#channel.start.bindStore(this.#store as unknown as AsyncLocalStorage<Context>, (ctx) =>
      this.#start(ctx),
    );
    this.#channel.subscribe(this.#handlers);
  }

  override disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    this.#channel.unsubscribe(this.#handlers);
    this.#channel.start.unbindStore(this.#store as unknown as AsyncLocalStorage<Context>);
  }

  // Starts the call's span and answers the context its work runs in.
  #start(ctx: Traced): Context {
    const active = context.active();
    const config = this.getConfig();
    if (ctx.internal === true && config.internalSpans !== true) return active;
    if (config.requireParentSpan !== false && trace.getSpan(active) === undefined) return active;
    const attributes: Attributes = { 'cache.operation': ctx.op, 'cache.key_count': ctx.keyCount };
    if (ctx.namespace !== undefined) attributes['db.namespace'] = ctx.namespace;
    if (ctx.alias !== undefined) attributes['cache.name'] = ctx.alias;
    if (ctx.cache?.backend !== undefined) attributes['cache.backend'] = ctx.cache.backend;
    if (ctx.function !== undefined) attributes['cache.function'] = ctx.function;
    if (ctx.internal === true) attributes['cache.internal'] = true;
    if (ctx.key !== undefined) attributes['cache.key'] = ctx.key;
    if (ctx.keys !== undefined) attributes['cache.keys'] = [...ctx.keys];
    const span = this.tracer.startSpan(`cache.${ctx.op}`, { kind: SpanKind.INTERNAL, attributes }, active);
    ctx[SPAN] = span;
    return trace.setSpan(active, span);
  }

  #finish(ctx: Traced): void {
    const span = ctx[SPAN];
    if (span === undefined) return;
    ctx[SPAN] = undefined;
    if (ctx.hit !== undefined) span.setAttribute('cache.hit', ctx.hit);
    if (ctx.hits !== undefined) span.setAttribute('cache.hits', ctx.hits);
    if (ctx.tier !== undefined) span.setAttribute('cache.tier', ctx.tier);
    if (ctx.stale !== undefined) span.setAttribute('cache.stale', ctx.stale);
    if (ctx.shared !== undefined) span.setAttribute('cache.shared', ctx.shared);
    if (ctx.error !== undefined) {
      if (ctx.fallback === true) span.setAttribute('cache.fallback', true);
      const error = ctx.error;
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
    }
    span.end();
  }
}
