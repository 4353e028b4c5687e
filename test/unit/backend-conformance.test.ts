import { MemoryBackend } from '../../lib/index.js';
import { describeBackendConformance } from '../../lib/testing/index.js';
import { DelayedBackend } from '../support/async-backend.js';
import { MemoryOnManualClock } from '../support/memory-clock.js';

// The Backend-level suite over the memory backend, on a clock the suite advances (no sleeps).
const seam = new MemoryOnManualClock();

describeBackendConformance('memory (live references)', {
  makeBackend: () => seam.backend(),
  probe: MemoryBackend.prototype,
  time: seam.time,
});

describeBackendConformance('memory (maxBytes: payloads only)', {
  makeBackend: () => seam.backend({ maxBytes: 1_000_000 }),
  probe: MemoryBackend.prototype,
  time: seam.time,
  // Larger than maxBytes: refused with OutOfRangeError, which multiSet's all-or-nothing test needs.
  unstorable: 'x'.repeat(1_000_001),
});

describeBackendConformance('memory answering asynchronously', {
  makeBackend: () => new DelayedBackend(seam.backend(), 1),
  probe: new DelayedBackend(new MemoryBackend()),
  time: seam.time,
});
