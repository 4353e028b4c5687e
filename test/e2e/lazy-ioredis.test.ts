import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

// What a fresh process has loaded of ioredis after `import 'larder'`, and after building a
// RedisBackend (lazyConnect: nothing is sent, no server needed).
async function ioredisModulesLoaded(script: string): Promise<number> {
  const program = `
    import { createRequire } from 'node:module';
    const larder = await import(${JSON.stringify(dist)});
    ${script}
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('ioredis'));
    process.stdout.write(String(loaded.length));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', program]);
  return Number(stdout);
}

describe("import 'larder' (from dist/)", function () {
  this.timeout(20_000);

  it('does not load ioredis for a memory-only user', async () => {
    expect(await ioredisModulesLoaded(`await new larder.Cache().set('k', 1);`)).to.equal(0);
  });

  it('loads ioredis once a Redis backend is built', async () => {
    const built = `const backend = new larder.RedisBackend({ port: 1, host: '127.0.0.1', lazyConnect: true }); await backend.close();`;
    expect(await ioredisModulesLoaded(built)).to.be.above(0);
  });
});
