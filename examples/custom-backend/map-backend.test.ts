// larder's conformance suites over MapBackend, as the author of a backend runs them. This file runs
// under mocha (or jest, or vitest with globals), which define describe/it/beforeEach/afterEach
// globally; README.md beside it shows the node:test version.
import { ManualClock, describeBackendConformance, describeCacheConformance } from 'larder/testing';
import { MapBackend } from './map-backend.js';

// The backend and the suites share one clock: the suites advance it instead of sleeping.
const clock = new ManualClock();

describeBackendConformance('MapBackend', {
  makeBackend: () => new MapBackend({ clock }),
  time: { clock },
  // A value MapBackend refuses (it stores text and bytes only), for multiSet's all-or-nothing test.
  unstorable: { not: 'a payload' },
});

describeCacheConformance('MapBackend', {
  makeBackend: () => new MapBackend({ clock }),
  time: { clock },
});
