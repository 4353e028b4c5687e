/** A test body or hook: it may return a promise, which the runner awaits. */
export type TestBody = () => void | Promise<void>;

/** A runner's `it`, with its optional `skip` (mocha, jest, vitest and node:test all have one). */
export type TestFunction = ((name: string, body: TestBody) => unknown) & {
  readonly skip?: (name: string, body: TestBody) => unknown;
};

/**
 * The four functions the suites define their tests with. mocha, jest and vitest (`globals: true`)
 * put them on `globalThis`, which is the default; under `node:test`, import them from
 * `'node:test'` and pass them.
 */
export interface TestFunctions {
  readonly describe: (name: string, body: () => void) => unknown;
  readonly it: TestFunction;
  readonly beforeEach: (hook: TestBody) => unknown;
  readonly afterEach: (hook: TestBody) => unknown;
}

const NAMES = ['describe', 'it', 'beforeEach', 'afterEach'] as const;

/**
 * The test functions a suite uses: those given, the rest from `globalThis`.
 *
 * @throws TypeError naming the functions found nowhere.
 */
export function resolveTestFunctions(given: Partial<TestFunctions> | undefined): TestFunctions {
  const globals = globalThis as unknown as Partial<Record<(typeof NAMES)[number], unknown>>;
  const found = Object.fromEntries(NAMES.map((name) => [name, given?.[name] ?? globals[name]]));
  const missing = NAMES.filter((name) => typeof found[name] !== 'function');
  if (missing.length > 0) {
    throw new TypeError(
      `larder/testing needs the test functions ${missing.join(', ')}: pass { describe, it, beforeEach, afterEach } ` +
        "as the suite's last argument (under node:test, import them from 'node:test'), or run it under " +
        'mocha, jest or vitest with globals, which define them on globalThis',
    );
  }
  return found as unknown as TestFunctions;
}

/**
 * Defines a test that is reported as not run, with the reason in its name: `it.skip` where the
 * runner has it, else a test that only says so (no runner the suites know lacks `skip`).
 */
export function skipped(fns: TestFunctions, name: string, reason: string): void {
  const title = `${name} (skipped: ${reason})`;
  if (typeof fns.it.skip === 'function') fns.it.skip(title, () => {});
  else fns.it(title, () => {});
}
