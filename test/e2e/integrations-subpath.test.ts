import { expect } from 'chai';
import { rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DIST, consumerFolder, importsOf, jsFiles } from '../support/built-package.js';
import { ROOT, run } from '../support/run.js';

// larder/fastify and larder/express as an app gets them: the built package, from a consumer folder
// that has the frameworks installed beside it.
describe('larder/fastify and larder/express, from the built package', function () {
  this.timeout(60_000);
  let consumer: string;

  before(async function () {
    // dist/ is built by `npm test`'s pretest script.
    consumer = await consumerFolder('larder-integrations-consumer-', ['fastify', 'express']);
  });

  after(async function () {
    await rm(consumer, { recursive: true, force: true });
  });

  it('are subpaths for ESM import and CommonJS require, the plugin a default export too', async function () {
    await writeFile(
      join(consumer, 'esm.mjs'),
      `import larder, { larderCache } from 'larder/fastify';
       import { cacheRoute } from 'larder/express';
       console.log(larder === larderCache, larderCache[Symbol.for('skip-override')], typeof cacheRoute({ ttl: '1s' }));`,
    );
    const esm = await run(process.execPath, ['esm.mjs'], { cwd: consumer });
    expect(esm.code, esm.stderr).to.equal(0);
    expect(esm.stdout).to.equal('true true function\n');
    await writeFile(
      join(consumer, 'cjs.cjs'),
      `const { larderCache } = require('larder/fastify');
       const { cacheRoute, CACHE_STATUS_HEADER } = require('larder/express');
       console.log(typeof larderCache, typeof cacheRoute, CACHE_STATUS_HEADER);`,
    );
    const cjs = await run(process.execPath, ['cjs.cjs'], { cwd: consumer });
    expect(cjs.code, cjs.stderr).to.equal(0);
    expect(cjs.stdout).to.equal('function function x-cache\n');
  });

  it('cache a real Fastify route and a real Express route', async function () {
    await writeFile(
      join(consumer, 'serve.mjs'),
      `import Fastify from 'fastify';
       import express from 'express';
       import { larderCache } from 'larder/fastify';
       import { cacheRoute } from 'larder/express';
       let runs = 0;
       const fastify = Fastify();
       await fastify.register(larderCache);
       fastify.get('/f', { config: { cache: { ttl: '1m' } } }, async () => ({ runs: ++runs }));
       await fastify.listen({ port: 0, host: '127.0.0.1' });
       const app = express();
       app.get('/e', cacheRoute({ ttl: '1m' }), (_req, res) => res.json({ runs: ++runs }));
       const server = app.listen(0, '127.0.0.1');
       await new Promise((resolve) => server.once('listening', resolve));
       const seen = [];
       for (const url of ['http://127.0.0.1:' + fastify.server.address().port + '/f', 'http://127.0.0.1:' + server.address().port + '/e'])
         for (let i = 0; i < 2; i++) {
           const answer = await fetch(url);
           seen.push(answer.headers.get('x-cache') + ' ' + (await answer.text()));
         }
       console.log(seen.join('|'));
       await fastify.close();
       server.closeAllConnections();
       server.close();`,
    );
    const { code, stdout, stderr } = await run(process.execPath, ['serve.mjs'], { cwd: consumer });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.equal('MISS {"runs":1}|HIT {"runs":1}|MISS {"runs":2}|HIT {"runs":2}\n');
  });

  it('import neither framework at run time, and the main entry point imports no integration', function () {
    const integrations = jsFiles(join(DIST, 'integrations'));
    expect(integrations.map((file) => relative(DIST, file)).sort()).to.include.members([
      'integrations/express.js',
      'integrations/fastify.js',
    ]);
    for (const file of integrations)
      for (const specifier of importsOf(file))
        expect(
          specifier.startsWith('node:') || specifier.startsWith('.'),
          `${relative(ROOT, file)} imports ${specifier}`,
        ).to.equal(true);
    for (const file of jsFiles(DIST).filter((f) => !f.startsWith(join(DIST, 'integrations'))))
      for (const specifier of importsOf(file))
        expect(specifier, `${relative(ROOT, file)} imports ${specifier}`).not.to.match(
          /integrations|fastify|express/,
        );
  });
});
