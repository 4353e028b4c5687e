import sinon from 'sinon';
import { MemoryBackend, type MemoryBackendOptions } from '../../lib/index.js';
import { ManualClock, type SuiteTime } from '../../lib/testing/index.js';

/**
 * SEAM(memory-clock): how the conformance suites drive the memory backend's time.
 *
 * The suites advance a ManualClock instead of sleeping. MemoryBackend does not take a `clock` yet
 * (another branch adds `new MemoryBackend({ clock })`), so until that is merged, `backend()` fakes
 * `Date` (and nothing else) with sinon for the running test, and `time.clock.advance` moves that
 * fake along with the clock; the root hook's `sinon.restore()` takes the fake down after each test.
 *
 * After the merge, this whole class becomes:
 *   readonly clock = new ManualClock();
 *   readonly time: SuiteTime = { clock: this.clock };
 *   backend(options) { return new MemoryBackend({ ...options, clock: this.clock }); }
 */
export class MemoryClockSeam {
  readonly clock = new ManualClock();
  #fake: sinon.SinonFakeTimers | undefined;

  /** The suites' `time` option. */
  readonly time: SuiteTime = {
    clock: {
      now: () => this.clock.now(),
      advance: (ms: number) => {
        this.clock.advance(ms);
        this.#fake?.setSystemTime(this.clock.now());
      },
    },
  };

  /** A memory backend on the clock's time; called by the suites once per test. */
  backend(options?: MemoryBackendOptions): MemoryBackend {
    this.#fake = sinon.useFakeTimers({ toFake: ['Date'], now: this.clock.now() });
    return new MemoryBackend(options);
  }
}
