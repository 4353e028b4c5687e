import { expect } from 'chai';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { DIST, consumerFolder, importsOf } from '../support/built-package.js';
import { ROOT, run } from '../support/run.js';

// larder/otel as an application gets it: the built package, from a consumer folder.
describe('larder/otel, from the built package', function () {
  this.timeout(60_000);
  let consumer: string;

  before(async function () {
    // dist/ is built by `npm test`'s pretest script.
    // The optional peers, as an application that uses larder/otel installs them.
    consumer = await consumerFolder('larder-otel-consumer-', ['@opentelemetry']);
  });

  after(async function () {
    await rm(consumer, { recursive: true, force: true });
  });

  it('is an OpenTelemetry Instrumentation that registerInstrumentations enables, for import and require', async function () {
    await writeFile(
      join(consumer, 'esm.mjs'),
      `import { tracingChannel } from 'node:diagnostics_channel';
       import { registerInstrumentations, InstrumentationBase } from '@opentelemetry/instrumentation';
       import { LarderInstrumentation } from 'larder/otel';
       const channel = tracingChannel('larder:operation');
       const instrumentation = new LarderInstrumentation({ enabled: false });
       const before = channel.hasSubscribers;
       const unregister = registerInstrumentations({ instrumentations: [instrumentation] });
       const during = channel.hasSubscribers;
       unregister();
       console.log(instrumentation instanceof InstrumentationBase, instrumentation.instrumentationName, before, during, channel.hasSubscribers);`,
    );
    const esm = await run(process.execPath, ['esm.mjs'], { cwd: consumer });
    expect(esm.code, esm.stderr).to.equal(0);
    expect(esm.stdout).to.equal('true larder false true false\n');
    await writeFile(
      join(consumer, 'cjs.cjs'),
      `const { LarderInstrumentation } = require('larder/otel');
       const instrumentation = new LarderInstrumentation();
       instrumentation.disable();
       console.log(typeof instrumentation.enable, instrumentation.getConfig().enabled);`,
    );
    const cjs = await run(process.execPath, ['cjs.cjs'], { cwd: consumer });
    expect(cjs.code, cjs.stderr).to.equal(0);
    expect(cjs.stdout).to.equal('function true\n');
  });

  it('is the only part of the build that imports OpenTelemetry: the core reaches none of it', function () {
    const seen = new Set<string>();
    const pending = [join(DIST, 'index.js')];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const specifier of importsOf(file)) {
        expect(specifier, `${relative(ROOT, file)} imports ${specifier}`).not.to.match(/opentelemetry|otel/);
        if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      }
    }
    expect(seen.size).to.be.greaterThan(20);
    const otel = importsOf(join(DIST, 'otel', 'instrumentation.js'));
    expect(otel).to.include.members(['@opentelemetry/api', '@opentelemetry/instrumentation']);
  });
});
