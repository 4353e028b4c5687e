import assert from 'node:assert/strict';
import type { Capability } from '../../backends/capabilities.js';
import type { Cache } from '../../cache.js';
import { UnsupportedOperationError } from '../../errors.js';
import type { Key } from '../../keys.js';
import type { CacheOptions } from '../../options.js';
import { hasCode } from '../assertions.js';
import type { CapabilityState, SharedSuiteOptions, SuiteTimer } from '../options.js';
import { skipped, type TestFunctions } from '../runner.js';

/** Options of a cache the suite builds, without the backend (the suite gives its own). */
export type SuiteCacheOptions = Omit<CacheOptions, 'backend'>;

/** Options of {@link describeCacheConformance}. */
export interface CacheSuiteOptions extends SharedSuiteOptions {
  /**
   * Options every cache of the suite gets (a serializer, plugins, …), beneath each test's own
   * (`namespace`, `version`, `ttl`, `keyBuilder`).
   */
  readonly cacheOptions?: SuiteCacheOptions;
}

/** What each part of the cache suite gets. */
export interface CacheSuite {
  readonly fns: TestFunctions;
  readonly time: SuiteTimer;
  readonly capabilities: Readonly<Record<Capability, CapabilityState>>;
  /** The running test's cache with namespace `'test'`. */
  cache(): Cache;
  /** Another cache over the running test's backend (closed after the test). */
  cacheWith(options?: SuiteCacheOptions): Promise<Cache>;
}

/** Writes entries one `set` at a time, so that a test of one operation needs no other (`multiSet`). */
export async function fill(cache: Cache, entries: Iterable<readonly [Key, unknown]>): Promise<void> {
  for (const [key, value] of entries) await cache.set(key, value);
}

/**
 * Defines a group of tests needing capabilities, if the suite checks all of them. If the backend
 * lacks one, a test instead that the cache refuses the operation with `UnsupportedOperationError`
 * (code `LARDER_UNSUPPORTED`); if one is turned off, a skip.
 */
export function describeNeeding(
  suite: CacheSuite,
  needs: readonly Capability[],
  title: string,
  refused: (cache: Cache) => unknown,
  body: () => void,
): void {
  const states = needs.map((name) => suite.capabilities[name]);
  if (states.includes('absent')) {
    suite.fns.it(`${title} (not offered by this backend)`, async () => {
      await assert.rejects(
        async () => refused(suite.cache()),
        hasCode('LARDER_UNSUPPORTED', UnsupportedOperationError),
      );
    });
  } else if (states.includes('off')) {
    skipped(suite.fns, title, 'turned off by the suite options');
  } else {
    suite.fns.describe(title, body);
  }
}

/** A promise with its resolver outside, to hold something up until a test lets it go. */
export function gate(): { readonly opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
