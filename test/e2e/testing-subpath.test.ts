import { expect } from 'chai';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { DIST, consumerFolder, importsOf, jsFiles } from '../support/built-package.js';
import { ROOT, run } from '../support/run.js';

// larder/testing as a backend author gets it: the built package, from a consumer folder.
describe('larder/testing, from the built package', function () {
  this.timeout(120_000);
  let consumer: string;

  before(async function () {
    // dist/ is built by `npm test`'s pretest script; building it here would race the other worker.
    consumer = await consumerFolder('larder-testing-consumer-');
  });

  after(async function () {
    await rm(consumer, { recursive: true, force: true });
  });

  it('is a subpath of its own, for ESM import and CommonJS require, that the main entry point leaves out', async function () {
    await writeFile(
      join(consumer, 'esm.mjs'),
      `import * as testing from 'larder/testing';
       import * as main from 'larder';
       console.log(Object.keys(testing).sort().join(','));
       console.log('describeBackendConformance' in main, new testing.ManualClock(5).now());`,
    );
    const esm = await run(process.execPath, ['esm.mjs'], { cwd: consumer });
    expect(esm.code, esm.stderr).to.equal(0);
    expect(esm.stdout).to.equal(
      'DEFAULT_TIME,MANUAL_CLOCK_START,ManualClock,describeBackendConformance,describeCacheConformance\nfalse 5\n',
    );
    await writeFile(
      join(consumer, 'cjs.cjs'),
      `const { ManualClock, describeBackendConformance } = require('larder/testing');
       const clock = new ManualClock(0);
       clock.advance(250);
       console.log(typeof describeBackendConformance, clock.now());`,
    );
    const cjs = await run(process.execPath, ['cjs.cjs'], { cwd: consumer });
    expect(cjs.code, cjs.stderr).to.equal(0);
    expect(cjs.stdout).to.equal('function 250\n');
  });

  it('imports only node: built-ins and files of the package (no mocha, chai or sinon)', function () {
    const testing = jsFiles(join(DIST, 'testing'));
    expect(testing.length).to.be.greaterThan(5);
    const specifiers = testing.flatMap((file) =>
      importsOf(file).map((specifier) => [file, specifier] as const),
    );
    expect(specifiers.some(([, specifier]) => specifier === 'node:assert/strict')).to.equal(true);
    for (const [file, specifier] of specifiers) {
      const where = `${relative(ROOT, file)} imports ${specifier}`;
      expect(specifier.startsWith('node:') || specifier.startsWith('.'), where).to.equal(true);
      if (specifier.startsWith('.')) {
        expect(resolve(dirname(file), specifier).startsWith(DIST), where).to.equal(true);
      }
    }
    for (const file of jsFiles(DIST).filter((f) => !f.startsWith(join(DIST, 'testing')))) {
      for (const specifier of importsOf(file)) {
        expect(specifier, `${relative(ROOT, file)} imports larder/testing`).not.to.match(/testing/);
      }
    }
  });

  it('runs the Backend-level suite under node:test, on real time', async function () {
    await writeFile(
      join(consumer, 'memory.test.mjs'),
      `import { afterEach, beforeEach, describe, it } from 'node:test';
       import { MemoryBackend } from 'larder';
       import { describeBackendConformance } from 'larder/testing';
       describeBackendConformance(
         'memory',
         { makeBackend: () => new MemoryBackend(), time: { unitMs: 10 } },
         { describe, it, beforeEach, afterEach },
       );`,
    );
    const { code, stdout, stderr } = await run(
      process.execPath,
      ['--test', '--test-reporter=tap', 'memory.test.mjs'],
      { cwd: consumer },
    );
    expect(code, stdout + stderr).to.equal(0);
    expect(stdout).to.match(/^# fail 0$/m);
    expect(Number(/^# pass (\d+)$/m.exec(stdout)?.[1])).to.be.greaterThan(50);
    expect(stdout).to.include('round-trips byte payloads as bytes');
    expect(stdout).to.include('peek');
  });

  it('tells a caller with no test functions, given or global, what to pass', async function () {
    await writeFile(
      join(consumer, 'bare.mjs'),
      `import { MemoryBackend } from 'larder';
       import { describeBackendConformance } from 'larder/testing';
       try {
         describeBackendConformance('memory', { makeBackend: () => new MemoryBackend() });
       } catch (error) {
         console.log(error.name, error.message);
       }`,
    );
    const { code, stdout, stderr } = await run(process.execPath, ['bare.mjs'], { cwd: consumer });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.match(
      /^TypeError larder\/testing needs the test functions describe, it, beforeEach, afterEach/,
    );
    expect(stdout).to.include("import them from 'node:test'");
  });
});
