import { Cache, JsonSerializer, MemoryBackend } from '../../lib/index.js';
import { DelayedBackend } from '../support/async-backend.js';
import { describeCacheBehaviour } from '../support/backend-conformance.js';

import type { Backend } from '../../lib/index.js';

// One store per test, shared by every cache the test builds, as a real Redis database would be.
let store: Backend | undefined;
afterEach(function () {
  store = undefined;
});
const shared = (make: () => Backend): Backend => (store ??= make());

describeCacheBehaviour(
  'memory (live references)',
  (options) => new Cache({ ...options, backend: shared(() => new MemoryBackend()) }),
);

describeCacheBehaviour(
  'memory (JSON payloads)',
  (options) =>
    new Cache({ ...options, backend: shared(() => new MemoryBackend()), serializer: new JsonSerializer() }),
);

describeCacheBehaviour(
  'memory answering asynchronously',
  (options) =>
    new Cache({
      ...options,
      backend: shared(() => new DelayedBackend(new MemoryBackend(), 1)),
      serializer: new JsonSerializer(),
    }),
);
