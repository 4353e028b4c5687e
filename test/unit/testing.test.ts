import { expect } from 'chai';
import { MemoryBackend, type Backend } from '../../lib/index.js';
import { CORE_METHODS } from '../../lib/backends/capabilities.js';
import {
  MANUAL_CLOCK_START,
  ManualClock,
  describeBackendConformance,
  describeCacheConformance,
  type TestFunctions,
} from '../../lib/testing/index.js';

// The suites' own machinery: what they define, given which capabilities, through any runner.
// Their tests themselves run over real backends in *-conformance and *-behaviour test files.

/** Test functions that only record the titles a suite defines ("SKIP" for a skipped one). */
function recorder(): { fns: TestFunctions; titles: string[] } {
  const titles: string[] = [];
  const path: string[] = [];
  const title = (name: string) => [...path, name].join(' > ');
  const it = Object.assign((name: string) => void titles.push(title(name)), {
    skip: (name: string) => void titles.push(`SKIP ${title(name)}`),
  });
  const fns: TestFunctions = {
    describe: (name, body) => {
      path.push(name);
      body();
      path.pop();
    },
    it,
    beforeEach: () => {},
    afterEach: () => {},
  };
  return { fns, titles };
}

// A backend with the core methods only, taken from a memory backend.
function coreOnly(): Backend {
  const memory = new MemoryBackend();
  const methods = CORE_METHODS.filter((name) => name !== 'defaultSerializer' && name !== 'close');
  return Object.assign(Object.fromEntries(methods.map((name) => [name, (memory as never)[name]])), {
    name: 'core-only',
    acceptsReferences: true,
    defaultSerializer: () => memory.defaultSerializer(),
    close: () => memory.close(),
  }) as unknown as Backend;
}

describe('larder/testing', function () {
  describe('ManualClock', function () {
    it('shows its start time until advanced, then the sum of the advances', function () {
      expect(new ManualClock().now()).to.equal(MANUAL_CLOCK_START);
      const clock = new ManualClock(1_000);
      clock.advance(250);
      clock.advance(0);
      expect(clock.now()).to.equal(1_250);
    });

    it('refuses to go back or to move by a non-finite amount, and a non-finite start', function () {
      const clock = new ManualClock(0);
      for (const ms of [-1, NaN, Infinity, '5'])
        expect(() => clock.advance(ms as never)).to.throw(RangeError);
      expect(clock.now()).to.equal(0);
      expect(() => new ManualClock(NaN)).to.throw(RangeError);
    });
  });

  describe('what the suites define', function () {
    it('checks each capability the backend offers, and reports each it lacks by name', function () {
      const { fns, titles } = recorder();
      describeBackendConformance('core only', { makeBackend: coreOnly }, fns);
      for (const capability of [
        'peek',
        'put',
        'multiSet',
        'increment',
        'deletePattern',
        'scan',
        'compareAndSet',
        'raw',
      ]) {
        expect(titles).to.include(
          `Backend conformance: core only > ${capability} (not offered by this backend)`,
        );
      }
      expect(titles.some((t) => t.includes('> increment > '))).to.equal(false);
      expect(titles).to.include('Backend conformance: core only > get / set > answers a miss with undefined');
    });

    it('reports a capability turned off by a flag as skipped, and checks one a flag turns on', function () {
      const { fns, titles } = recorder();
      describeBackendConformance(
        'memory',
        { makeBackend: () => new MemoryBackend(), capabilities: { scan: false }, unstorable: 1 },
        fns,
      );
      expect(titles).to.include(
        'SKIP Backend conformance: memory > scan (skipped: turned off by the suite options)',
      );
      expect(titles.some((t) => t.includes('> scan > '))).to.equal(false);
      expect(titles.some((t) => t.includes('> increment > '))).to.equal(true);
      const on = recorder();
      describeBackendConformance(
        'core only',
        { makeBackend: coreOnly, capabilities: { increment: true } },
        on.fns,
      );
      expect(on.titles.some((t) => t.includes('> increment > '))).to.equal(true);
    });

    it('at the cache level, names each operation the backend cannot do', function () {
      const { fns, titles } = recorder();
      describeCacheConformance('core only', { makeBackend: coreOnly }, fns);
      for (const op of ['increment', 'deletePattern', 'scan', 'locks', 'optimisticLock', 'raw']) {
        expect(titles).to.include(`Cache behaviour: core only > ${op} (not offered by this backend)`);
      }
      expect(titles).to.include(
        'Cache behaviour: core only > getOrSet > refuses a factory result of undefined',
      );
    });

    it('reads capabilities from a probe when makeBackend answers with a promise, and asks for one otherwise', function () {
      const makeBackend = async () => new MemoryBackend();
      expect(() => describeBackendConformance('async', { makeBackend }, recorder().fns)).to.throw(
        TypeError,
        /probe/,
      );
      const { fns, titles } = recorder();
      describeBackendConformance('async', { makeBackend, probe: MemoryBackend.prototype }, fns);
      expect(titles.some((t) => t.includes('> peek > '))).to.equal(true);
    });

    it('refuses bad options before defining anything', function () {
      const { fns, titles } = recorder();
      const makeBackend = () => new MemoryBackend();
      expect(() => describeBackendConformance('x', {} as never, fns)).to.throw(TypeError, /makeBackend/);
      expect(() => describeCacheConformance('x', { makeBackend, time: { unitMs: 0 } }, fns)).to.throw(
        RangeError,
      );
      expect(() =>
        describeBackendConformance('x', { makeBackend, time: { clock: {} as never } }, fns),
      ).to.throw(TypeError);
      expect(titles).to.deep.equal([]);
    });
  });
});
