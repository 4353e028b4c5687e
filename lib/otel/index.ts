// larder/otel: OpenTelemetry spans for larder's operations. It needs the optional peer
// dependencies @opentelemetry/api and @opentelemetry/instrumentation; the core never imports it.
export { LarderInstrumentation, type LarderInstrumentationConfig } from './instrumentation.js';
