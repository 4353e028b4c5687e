import { checks, type OptionsSchema } from '../options-schema.js';
import { MAX_TIMER_MS } from '../promise.js';

/**
 * The options schema of {@link MemoryBackend}: its constructor and config validation both check
 * against it. Kept apart from the class so that its descriptor can import both without a cycle.
 */
export const MEMORY_BACKEND_OPTIONS: OptionsSchema = Object.freeze({
  fields: Object.freeze({
    maxSize: checks.either(checks.integer(1), checks.oneOf(Infinity)),
    maxBytes: checks.integer(0),
    sweepInterval: checks.duration({ min: 1, max: MAX_TIMER_MS, between: 'between 1 ms and 24.8 days' }),
    sizeOf: checks.function,
    // Checked by the constructor itself (an object with a now() method).
    clock: checks.anything,
  }),
});
