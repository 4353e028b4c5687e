// The custom backend example's own test file (both conformance suites over MapBackend), run as
// part of the unit tests. It imports 'larder' and 'larder/testing' as a third party would; here
// tsconfig.json's paths map them to lib/index.ts and lib/testing/index.ts (tsx follows them).
import '../../examples/custom-backend/map-backend.test.js';
