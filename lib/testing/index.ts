// larder/testing: the conformance suites a backend author runs against their backend. Nothing in
// larder's main entry point imports this; it needs no test library, only node:assert.
export { describeBackendConformance, type BackendSuiteOptions } from './backend/index.js';
export { describeCacheConformance, type CacheSuiteOptions } from './cache/index.js';
export { ManualClock, MANUAL_CLOCK_START, type Clock } from './clock.js';
export {
  DEFAULT_TIME,
  type CapabilityFlags,
  type CapabilityState,
  type SharedSuiteOptions,
  type SuiteTime,
} from './options.js';
export type { TestBody, TestFunction, TestFunctions } from './runner.js';
export type { Capability } from '../backends/capabilities.js';
