import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ROOT, run, type RunResult } from '../support/run.js';

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  readonly engines: Record<string, string>;
  readonly dependencies: Record<string, string>;
  readonly bin: Record<string, string>;
  readonly scripts?: Record<string, string>;
  readonly repository?: { readonly type: string; readonly url: string };
  readonly homepage?: string;
  readonly bugs?: { readonly url: string };
}

/** One entry of `npm pack --json`'s answer. */
interface PackReport {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

/** The parts of a source map these tests read. */
interface SourceMap {
  readonly sources: readonly string[];
  readonly sourcesContent?: readonly (string | null)[];
}

interface LockEntry {
  readonly dev?: boolean;
}

/**
 * The consumer's lockfile: larder from the tarball, and its dependencies as the repository's own
 * lockfile pins them (the entries not marked `dev`). `npm install --offline` needs registry metadata
 * that the npm cache may not hold; with every package pinned, it reads only tarballs, which
 * `npm ci` of this repository has cached.
 */
function consumerLock(tarball: string): object {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const runtime = Object.entries(repoLock.packages).filter(([path, entry]) => path !== '' && !entry.dev);
  return {
    name: 'larder-consumer',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'larder-consumer', version: '1.0.0', dependencies: { larder: tarball } },
      'node_modules/larder': {
        version: pkg.version,
        resolved: tarball,
        license: pkg.license,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
        engines: pkg.engines,
      },
      ...Object.fromEntries(runtime),
    },
  };
}

// What users get: `npm pack`'s tarball (so `files` decides what ships) installed by npm into a
// consumer folder of its own (so `exports`, `types` and `bin` decide what resolves), then loaded by
// ESM import, CommonJS require, the TypeScript compiler and the `larder` command.
describe('the packed package, installed in a consumer', function () {
  this.timeout(120_000);
  let dir: string;
  let consumer: string;
  let installed: string;
  let packed: readonly string[];
  const inConsumer = (command: string, args: readonly string[]): Promise<RunResult> =>
    // The bin's `#!/usr/bin/env node` finds the node running these tests first.
    run(command, args, {
      cwd: consumer,
      timeoutMs: 120_000,
      env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
    });

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'larder-package-'));
    // `npm test` builds dist/ first (its pretest script). Packing without scripts keeps this file
    // from rebuilding dist/ while a test in the other worker reads it.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      timeoutMs: 120_000,
    });
    expect(pack.code, pack.stdout + pack.stderr).to.equal(0);
    const tarballs = (await readdir(dir)).filter((name) => name.endsWith('.tgz'));
    expect(tarballs).to.have.length(1);
    const reports = JSON.parse(pack.stdout) as PackReport[];
    expect(reports.map((report) => report.filename)).to.deep.equal(tarballs);
    packed = reports[0]!.files.map((file) => file.path);
    const tarball = `file:../${tarballs[0]!}`;

    consumer = join(dir, 'consumer');
    installed = join(consumer, 'node_modules', 'larder');
    await mkdir(consumer);
    await writeFile(
      join(consumer, 'package.json'),
      JSON.stringify({
        name: 'larder-consumer',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies: { larder: tarball },
      }),
    );
    await writeFile(join(consumer, 'package-lock.json'), JSON.stringify(consumerLock(tarball)));
    const flags = ['--no-audit', '--no-fund'];
    let install = await inConsumer('npm', ['install', tarball, '--offline', ...flags]);
    // A cache that lacks a pinned tarball: fetch only what is missing.
    if (install.code !== 0)
      install = await inConsumer('npm', ['install', tarball, '--prefer-offline', ...flags]);
    expect(install.code, install.stdout + install.stderr).to.equal(0);
  });

  after(async function () {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('ships the build, its declarations and the bin, and none of the sources', function () {
    for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/cli/main.js'])
      expect(existsSync(join(installed, file)), file).to.equal(true);
    for (const file of ['dist/index.d.ts', 'dist/cache.d.ts'])
      expect(existsSync(join(installed, file)), file).to.equal(true);
    for (const path of ['lib', 'test', 'bench', 'examples', 'docs', 'tsconfig.json', '.ci'])
      expect(existsSync(join(installed, path)), path).to.equal(false);
  });

  it('packs the licence and the build, and no other top-level files', function () {
    expect(packed).to.include.members(['LICENSE', 'package.json', 'README.md', 'CHANGELOG.md']);
    expect(packed).to.include.members(['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']);
    expect(packed.filter((path) => !path.startsWith('dist/')).sort()).to.deep.equal([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'package.json',
    ]);
    const licence = readFileSync(join(installed, 'LICENSE'), 'utf8');
    expect(licence).to.match(/^MIT License\n\nCopyright \(c\) the larder authors\n/);
  });

  it('runs no script when a consumer installs it, and says where it comes from', function () {
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as PackageJson;
    expect(pkg.license).to.equal('MIT');
    // npm warns about, and some installs refuse, packages that run code at install time.
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(pkg.scripts ?? {}, script).to.not.have.property(script);
    // The three point at the same repository.
    const repo = /^git\+(https:\/\/github\.com\/[\w.-]+\/[\w.-]+)\.git$/.exec(pkg.repository?.url ?? '')?.[1];
    expect(repo, `repository ${JSON.stringify(pkg.repository)}`).to.be.a('string');
    expect(pkg.homepage).to.equal(`${repo!}#readme`);
    expect(pkg.bugs?.url).to.equal(`${repo!}/issues`);
  });

  it('ships source maps that carry their sources, since lib/ is not shipped', function () {
    const maps = packed.filter((path) => path.endsWith('.map'));
    const scripts = packed.filter((path) => path.endsWith('.js'));
    // One map per compiled file, and no declaration maps: those cannot carry their sources, and
    // would send an editor's "go to definition" to a lib/ file that is not there.
    expect(maps.sort()).to.deep.equal(scripts.map((path) => `${path}.map`).sort());
    for (const path of maps) {
      const map = JSON.parse(readFileSync(join(installed, path), 'utf8')) as SourceMap;
      expect(map.sources, path).to.have.length.greaterThan(0);
      expect(map.sourcesContent, path).to.have.length(map.sources.length);
      for (const content of map.sourcesContent ?? [])
        expect(content, path).to.be.a('string').and.to.have.length.greaterThan(0);
    }
    // The sources themselves, as compiled (npm test builds dist/ from lib/ first).
    const index = JSON.parse(readFileSync(join(installed, 'dist/index.js.map'), 'utf8')) as SourceMap;
    expect(index.sources).to.deep.equal(['../lib/index.ts']);
    expect(index.sourcesContent?.[0]).to.equal(readFileSync(join(ROOT, 'lib', 'index.ts'), 'utf8'));
  });

  it('works through ESM import', async function () {
    await writeFile(
      join(consumer, 'esm.mjs'),
      `import { Cache, LarderError, KeyExistsError } from 'larder';
       const cache = new Cache({ namespace: 'esm' });
       await cache.set('k', { ok: true });
       await cache.add('k', 1).catch((e) => console.log(e instanceof KeyExistsError && e instanceof LarderError));
       console.log(JSON.stringify(await cache.get('k')));`,
    );
    const { code, stdout, stderr } = await inConsumer(process.execPath, ['esm.mjs']);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.equal('true\n{"ok":true}\n');
  });

  it('works through CommonJS require', async function () {
    await writeFile(
      join(consumer, 'cjs.cjs'),
      `const { Cache, MemoryBackend, JsonSerializer } = require('larder');
       const cache = new Cache({ backend: new MemoryBackend({ maxSize: 10 }), serializer: new JsonSerializer() });
       cache.set('k', [1, 2]).then(() => cache.get('k')).then((v) => console.log(JSON.stringify(v)));`,
    );
    const { code, stdout, stderr } = await inConsumer(process.execPath, ['cjs.cjs']);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.equal('[1,2]\n');
  });

  it('type-checks a TypeScript consumer (node16 resolution, declarations checked too)', async function () {
    await writeFile(
      join(consumer, 'types.ts'),
      `import { Cache, MemoryBackend, KeyExistsError, type CacheOptions } from 'larder';
       const options: CacheOptions = { backend: new MemoryBackend({ maxSize: 10 }), namespace: 'types' };
       const cache = new Cache(options);
       const value: unknown = await cache.get('k');
       const isError: boolean = new KeyExistsError('k') instanceof Error;
       // The declarations are larder's own, not \`any\`: tsc must reject this line.
       // @ts-expect-error a Cache has no frobnicate
       cache.frobnicate();
       export { value, isError };`,
    );
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          // node16 resolution reads package.json `exports` and its `types` condition, as Node does.
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          strict: true,
          noEmit: true,
          // Checks larder's declarations too, as a consumer with skipLibCheck off would: they
          // must not lean on anything that is not shipped or depended on.
          skipLibCheck: false,
          // The consumer's @types/node, which a TypeScript project on Node has anyway.
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['types.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await inConsumer(process.execPath, [tsc, '-p', 'tsconfig.json']);
    expect(checked.code, checked.stdout + checked.stderr).to.equal(0);
  });

  it('installs the larder command line in node_modules/.bin', async function () {
    const bin = join(consumer, 'node_modules', '.bin', 'larder');
    const help = await inConsumer(bin, ['--help']);
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/^Usage: larder <command>/);
    const ping = await inConsumer(bin, ['ping', '--url', 'memory://']);
    expect(ping.code, ping.stderr).to.equal(0);
    expect(ping.stdout).to.match(/^PONG from url \(memory\)/);
  });
});
