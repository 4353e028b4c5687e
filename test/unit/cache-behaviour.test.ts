import { JsonSerializer, MemoryBackend } from '../../lib/index.js';
import { describeCacheConformance } from '../../lib/testing/index.js';
import { DelayedBackend } from '../support/async-backend.js';
import { MemoryOnManualClock } from '../support/memory-clock.js';

// The Cache-level suite over the memory backend, on a clock the suite advances (no sleeps).
const seam = new MemoryOnManualClock();

describeCacheConformance('memory (live references)', {
  makeBackend: () => seam.backend(),
  probe: MemoryBackend.prototype,
  time: seam.time,
});

describeCacheConformance('memory (JSON payloads)', {
  makeBackend: () => seam.backend(),
  probe: MemoryBackend.prototype,
  time: seam.time,
  cacheOptions: { serializer: new JsonSerializer() },
});

describeCacheConformance('memory answering asynchronously', {
  makeBackend: () => new DelayedBackend(seam.backend(), 1),
  probe: new DelayedBackend(new MemoryBackend()),
  time: seam.time,
  cacheOptions: { serializer: new JsonSerializer() },
});
