import assert from 'node:assert/strict';
import type { Backend } from '../../backends/backend.js';
import type { Capability } from '../../backends/capabilities.js';
import type { CapabilityState, SharedSuiteOptions, SuiteTimer } from '../options.js';
import { skipped, type TestFunctions } from '../runner.js';

/** Options of {@link describeBackendConformance}. */
export interface BackendSuiteOptions extends SharedSuiteOptions {
  /**
   * A value this backend refuses to store (it throws or rejects), if there is one: `multiSet`'s
   * all-or-nothing test writes it between good entries. Without it that test is not defined.
   */
  readonly unstorable?: unknown;
}

/** What each part of the backend suite gets: the running test's backend and the suite's settings. */
export interface BackendSuite {
  readonly fns: TestFunctions;
  readonly time: SuiteTimer;
  readonly capabilities: Readonly<Record<Capability, CapabilityState>>;
  readonly options: BackendSuiteOptions;
  /** The backend of the running test, every capability typed as present (check before calling). */
  backend(): Required<Backend>;
}

/**
 * Defines a capability's checks if the suite checks it; otherwise a test that says why not: for a
 * capability the backend lacks, one that checks it is really absent; for one turned off, a skip.
 */
export function describeCapability(
  suite: BackendSuite,
  capability: Capability,
  title: string,
  body: () => void,
): void {
  const state = suite.capabilities[capability];
  if (state === 'offered') {
    suite.fns.describe(title, body);
  } else if (state === 'off') {
    skipped(suite.fns, title, 'turned off by the suite options');
  } else {
    suite.fns.it(`${title} (not offered by this backend)`, () => {
      assert.notEqual(typeof suite.backend()[capability], 'function', `the backend has ${capability}()`);
    });
  }
}
