import type { Backend } from '../../backends/backend.js';
import { startSuite } from '../options.js';
import type { TestFunctions } from '../runner.js';
import { describeCompare } from './compare.js';
import { describeCapability, type BackendSuite, type BackendSuiteOptions } from './context.js';
import { describeCore } from './core.js';
import { describeExpiry } from './expiry.js';
import { describeGetWithTags } from './get-with-tags.js';
import { describeGetWithTtl } from './get-with-ttl.js';
import { describeIncrement } from './increment.js';
import { describeMultiSet } from './multi-set.js';
import { describePatterns } from './patterns.js';
import { describePeek } from './peek.js';
import { describePut } from './put.js';
import { describeScanEntries } from './scan-entries.js';
import { describeStat } from './stat.js';
import { describeStore } from './store.js';

export type { BackendSuiteOptions } from './context.js';

/**
 * Defines the Backend-level conformance suite: every core method's contract, checked directly on
 * a fresh backend per test (payloads as a serializer gives them, misses, atomic `add`, counts,
 * ttls with `0` for "never", `clear(prefix)`, `close`), and each capability's contract if the
 * backend offers it (`peek`, `put`, `getWithTtl`, `stat`, `getWithTags`, `multiSet`, `increment`, `deletePattern`, `scan`,
 * `scanEntries`, `compareAnd*`). A
 * capability it lacks gets one test, named "… (not offered by this backend)", that checks it is
 * really absent.
 *
 * @param name - how the backend is named in the test titles.
 * @param fns - the runner's test functions; by default those on `globalThis` (mocha, jest, vitest).
 * @throws TypeError for bad options, or if no test functions are given or global.
 * @example
 * ```ts
 * import { describeBackendConformance, ManualClock } from 'larder/testing';
 *
 * const clock = new ManualClock();
 * describeBackendConformance('my store', {
 *   makeBackend: () => new MyBackend({ clock }),
 *   time: { clock },
 * });
 * ```
 */
export function describeBackendConformance(
  name: string,
  options: BackendSuiteOptions,
  fns?: Partial<TestFunctions>,
): void {
  const { test, time, capabilities } = startSuite(options, fns);
  let current: Backend | undefined;
  const suite: BackendSuite = {
    fns: test,
    time,
    capabilities,
    options,
    backend: () => {
      if (current === undefined) throw new Error('no backend: makeBackend has not answered for this test');
      return current as Required<Backend>;
    },
  };

  test.describe(`Backend conformance: ${name}`, () => {
    test.beforeEach(async () => {
      current = await options.makeBackend();
    });
    test.afterEach(async () => {
      const backend = current;
      current = undefined;
      await backend?.close();
    });

    describeCore(suite);
    describeExpiry(suite);
    describeStore(suite);
    describePeek(suite);
    describePut(suite);
    describeGetWithTtl(suite);
    describeStat(suite);
    describeGetWithTags(suite);
    describeMultiSet(suite);
    describeIncrement(suite);
    describePatterns(suite);
    describeScanEntries(suite);
    describeCompare(suite);
    // raw's commands are the store's own, so there is nothing common to check of an offered one;
    // an absent one is checked to be really absent.
    if (capabilities.raw !== 'offered') describeCapability(suite, 'raw', 'raw', () => {});
  });
}
