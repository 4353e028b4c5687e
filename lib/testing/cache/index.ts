import type { Backend } from '../../backends/backend.js';
import { Cache } from '../../cache.js';
import { startSuite } from '../options.js';
import type { TestFunctions } from '../runner.js';
import type { CacheSuite, CacheSuiteOptions, SuiteCacheOptions } from './context.js';
import { describeCoordination } from './coordination.js';
import { describeKeys } from './keys.js';
import { describeTime } from './time.js';
import { describeValues } from './values.js';

export type { CacheSuiteOptions } from './context.js';

/**
 * Defines the Cache-level behaviour suite: what users see of a `Cache` over the backend (values,
 * ttls, namespaces, clear, deletePattern, scan, increment, locks, optimistic locks, getOrSet). Each
 * test gets a fresh backend, shared by every cache the test builds, as a server's database would
 * be. An operation whose capability the backend lacks gets one test, named "… (not offered by this
 * backend)", that checks the cache refuses it with `UnsupportedOperationError`.
 *
 * @param name - how the backend is named in the test titles.
 * @param fns - the runner's test functions; by default those on `globalThis` (mocha, jest, vitest).
 * @throws TypeError for bad options, or if no test functions are given or global.
 * @example
 * ```ts
 * describeCacheConformance('my store', {
 *   makeBackend: () => new MyBackend(),
 *   cacheOptions: { serializer: new JsonSerializer() },
 * });
 * ```
 */
export function describeCacheConformance(
  name: string,
  options: CacheSuiteOptions,
  fns?: Partial<TestFunctions>,
): void {
  const { test, time, capabilities } = startSuite(options, fns);
  let backend: Backend | undefined;
  let main: Cache | undefined;
  const open: Cache[] = [];

  const cacheWith = async (perTest?: SuiteCacheOptions): Promise<Cache> => {
    if (backend === undefined) throw new Error('no backend: makeBackend has not answered for this test');
    const cache = new Cache({ ...options.cacheOptions, ...perTest, backend });
    open.push(cache);
    return cache;
  };
  const suite: CacheSuite = {
    fns: test,
    time,
    capabilities,
    cache: () => {
      if (main === undefined) throw new Error('no cache: the suite has not built one for this test');
      return main;
    },
    cacheWith,
  };

  test.describe(`Cache behaviour: ${name}`, () => {
    test.beforeEach(async () => {
      backend = await options.makeBackend();
      main = await cacheWith({ namespace: 'test' });
    });
    test.afterEach(async () => {
      const closing = open.splice(0).map((cache) => cache.close());
      // Closing the backend again is harmless (close is idempotent), and needed if no cache was built.
      const last = backend;
      backend = undefined;
      main = undefined;
      await Promise.all(closing);
      await last?.close();
    });

    describeValues(suite);
    describeTime(suite);
    describeKeys(suite);
    describeCoordination(suite);
  });
}
