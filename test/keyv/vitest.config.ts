import { defineConfig } from 'vitest/config';

// keyv's official @keyv/test-suite is written for vitest: its functions take vitest's API (`it`,
// `beforeEach`, the test context's `expect` with `expect.assertions`), so it runs here under its
// own runner, as part of `npm test`. Everything else in test/ runs under mocha.
export default defineConfig({
  test: {
    include: ['test/keyv/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // One Redis server per file, started by the file itself; files may run side by side.
    pool: 'forks',
  },
});
