import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run } from '../support/run.js';

// Loads the built package the way users do, from a consumer folder, by ESM import and by CommonJS require.
describe('the built package', function () {
  this.timeout(120_000);
  let consumer: string;

  before(async function () {
    const build = await run('npm', ['run', 'build']);
    expect(build.code, build.stdout + build.stderr).to.equal(0);
    consumer = await mkdtemp(join(tmpdir(), 'larder-consumer-'));
    await mkdir(join(consumer, 'node_modules'));
    await symlink(ROOT, join(consumer, 'node_modules', 'larder'), 'dir');
  });

  after(async function () {
    await rm(consumer, { recursive: true, force: true });
  });

  it('ships type declarations', function () {
    expect(existsSync(join(ROOT, 'dist', 'index.d.ts'))).to.equal(true);
    expect(existsSync(join(ROOT, 'dist', 'cache.d.ts'))).to.equal(true);
  });

  it('works through ESM import', async function () {
    const script = join(consumer, 'esm.mjs');
    await writeFile(
      script,
      `import { Cache, LarderError, KeyExistsError } from 'larder';
       const cache = new Cache({ namespace: 'esm' });
       await cache.set('k', { ok: true });
       await cache.add('k', 1).catch((e) => console.log(e instanceof KeyExistsError && e instanceof LarderError));
       console.log(JSON.stringify(await cache.get('k')));`,
    );
    const { code, stdout, stderr } = await run(process.execPath, [script], { cwd: consumer });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.equal('true\n{"ok":true}\n');
  });

  it('works through CommonJS require', async function () {
    const script = join(consumer, 'cjs.cjs');
    await writeFile(
      script,
      `const { Cache, MemoryBackend, JsonSerializer } = require('larder');
       const cache = new Cache({ backend: new MemoryBackend({ maxSize: 10 }), serializer: new JsonSerializer() });
       cache.set('k', [1, 2]).then(() => cache.get('k')).then((v) => console.log(JSON.stringify(v)));`,
    );
    const { code, stdout, stderr } = await run(process.execPath, [script], { cwd: consumer });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.equal('[1,2]\n');
  });

  it('ships the larder command line as its bin', async function () {
    const bin = join(consumer, 'node_modules', 'larder', 'dist', 'cli', 'main.js');
    const { code, stdout, stderr } = await run(process.execPath, [bin, '--help'], { cwd: consumer });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.match(/^Usage: larder <command>/);
    const set = await run(process.execPath, [bin, 'ping', '--url', 'memory://'], { cwd: consumer });
    expect(set.stdout).to.match(/^PONG from url \(memory\)/);
  });
});
