// The two optional plugin members by which a plugin hears of the caches it is given to (the
// MetricsPlugin listens on the channels only while attached to an open cache). Symbols, so that
// they never clash with a hook name and stay out of the documented hook table.
import type { CacheTelemetry } from './cache-telemetry.js';

/** Called once when a cache built with the plugin is built. */
export const attachTelemetry: unique symbol = Symbol('larder.attachTelemetry');

/** Called once when that cache closes. */
export const detachTelemetry: unique symbol = Symbol('larder.detachTelemetry');

/** What a plugin implements to hear of the caches it observes. */
export interface TelemetryAware {
  [attachTelemetry](telemetry: CacheTelemetry): void;
  [detachTelemetry](telemetry: CacheTelemetry): void;
}
