import { Cache, JsonSerializer, MemoryBackend } from '../../lib/index.js';
import { DelayedMemoryBackend } from '../support/async-backend.js';
import { describeCacheBehaviour } from '../support/backend-conformance.js';

// One store per test, shared by every cache the test builds, as a real Redis database would be.
let store: MemoryBackend | undefined;
afterEach(function () {
  store = undefined;
});
const shared = <B extends MemoryBackend>(make: () => B): B => (store ??= make()) as B;

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
      backend: shared(() => new DelayedMemoryBackend(1)),
      serializer: new JsonSerializer(),
    }),
);
