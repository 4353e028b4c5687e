import { MemoryBackend, type MemoryBackendOptions } from '../../lib/index.js';
import { ManualClock, type SuiteTime } from '../../lib/testing/index.js';

/**
 * How the conformance suites drive the memory backend's time: every backend they make runs on
 * one ManualClock (`new MemoryBackend({ clock })`), which the suites advance instead of sleeping.
 */
export class MemoryOnManualClock {
  readonly clock = new ManualClock();

  /** The suites' `time` option. */
  readonly time: SuiteTime = { clock: this.clock };

  /** A memory backend on the clock's time; called by the suites once per test. */
  backend(options?: MemoryBackendOptions): MemoryBackend {
    return new MemoryBackend({ ...options, clock: this.clock });
  }
}
