import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { LarderInstrumentation, type LarderInstrumentationConfig } from '../../lib/otel/index.js';

/** An OpenTelemetry SDK for one test: spans kept in memory, the instrumentation enabled. */
export interface TestTracing {
  readonly instrumentation: LarderInstrumentation;
  /** Runs `fn` inside a new span named `name` (a request's, say), ended when `fn` settles. */
  within<T>(name: string, fn: (span: Span) => Promise<T>): Promise<T>;
  /** The spans ended so far. */
  spans(): ReadableSpan[];
  /** Unregisters everything this set up. */
  stop(): void;
}

export function startTracing(config: LarderInstrumentationConfig = {}): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(provider);
  const instrumentation = new LarderInstrumentation(config);
  instrumentation.setTracerProvider(provider);
  const tracer = provider.getTracer('test');
  return {
    instrumentation,
    within: (name, fn) =>
      tracer.startActiveSpan(name, async (span) => {
        try {
          return await fn(span);
        } finally {
          span.end();
        }
      }),
    spans: () => exporter.getFinishedSpans(),
    stop: () => {
      instrumentation.disable();
      trace.disable();
      context.disable();
      manager.disable();
    },
  };
}

/** The id of a span's parent, if any. */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}
