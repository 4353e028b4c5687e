import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { sharedRedis } from '../support/redis-fixtures.js';
import { ROOT, run } from '../support/run.js';

// NestJS compiles with tsc and experimentalDecorators, so these tests do too: examples/nest and
// test/fixtures/decorators are built with tsc into .build/ (where `larder` resolves to this
// package's dist/, as it does for an app that installed it), then run under the real framework.
const BUILD = join(ROOT, '.build');
const SETTINGS = ['legacy', 'tc39'] as const;
const tsc = (project: string) =>
  run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], {
    timeoutMs: 120_000,
  });
const load = <T>(path: string): Promise<T> => import(pathToFileURL(join(BUILD, path)).href) as Promise<T>;

interface User {
  readonly id: string;
  readonly name: string;
  readonly lookup: number;
}

let admin: Redis;

describe('NestJS on larder', function () {
  this.timeout(60_000);
  let redisUrl: string;

  before(async function () {
    // The example and both settings of the decorator fixture, built side by side.
    const builds = await Promise.all(
      [
        'examples/nest',
        ...SETTINGS.map((setting) => `test/fixtures/decorators/tsconfig.${setting}.json`),
      ].map(tsc),
    );
    for (const built of builds) expect(built.code, built.stdout + built.stderr).to.equal(0);
    const server = await sharedRedis();
    redisUrl = `${server.url}/15`;
    admin = new Redis({ port: server.port, host: '127.0.0.1', db: 15 });
    await admin.flushdb();
  });
  after(function () {
    admin?.disconnect();
  });

  it('@nestjs/testing: CacheModule over KeyvLarder, CacheInterceptor on a controller, over HTTP on Redis', async function () {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'test/fixtures/nest-testing-boot.mjs'), BUILD, redisUrl],
      {
        cwd: ROOT,
        env: { ...process.env, LARDER_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const base = await listening(child);
      const get = async (path: string): Promise<User> =>
        (await (await fetch(`${base}${path}`)).json()) as User;
      const first = await get('/users/7');
      expect(first).to.deep.equal({ id: '7', name: 'user 7', lookup: 1 });
      // The interceptor stores the response in the `http` cache (as Keyv's envelope, for 30 s)
      // once it has been sent; Nest's CacheModule makes its Keyv with no namespace, so the key is the URL.
      const key = 'nest-http:/users/7';
      const envelope = JSON.parse(JSON.parse(await stored(key)) as string) as { value: unknown };
      expect(envelope).to.deep.include({ value: first });
      expect(await admin.pttl(key)).to.be.within(1, 30_000);
      // What the next request answers comes from there: the handler does not run.
      const edited = { ...first, name: 'from redis' };
      await admin.set(key, JSON.stringify(JSON.stringify({ value: edited })), 'PX', 30_000);
      expect(await get('/users/7')).to.deep.equal(edited);
      // A route without the interceptor runs its handler, and @cached on the service answers it.
      expect(await get('/users/7/fresh')).to.deep.equal(first);
      expect(JSON.parse((await admin.get('nest-users:user:7'))!)).to.deep.equal(first);
      expect(await stop(child)).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('examples/nest runs on Redis: one lookup per user, and a clean stop', async function () {
    const child = spawn(process.execPath, [join(BUILD, 'nest/main.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', CACHE_URL: redisUrl, LARDER_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const base = await listening(child);
      const get = async (path: string): Promise<User> =>
        (await (await fetch(`${base}${path}`)).json()) as User;
      const burst = await Promise.all(Array.from({ length: 5 }, () => get('/users/42/fresh')));
      expect(burst).to.deep.equal(Array(5).fill({ id: '42', name: 'user 42', lookup: 1 }));
      expect(await get('/users/42')).to.deep.equal(burst[0]);
      expect(JSON.parse((await admin.get('nest-users:user:42'))!)).to.deep.equal(burst[0]);
      expect(await stop(child)).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  for (const setting of SETTINGS) {
    it(`@cached on an @Injectable() service compiles with tsc (${setting === 'legacy' ? 'experimentalDecorators' : 'TC39 decorators'}) and memoises`, async function () {
      type Service = { lookups: number; find(id: string, year: number): Promise<unknown> };
      const fixture = await load<{
        ReportsService: (new () => Service) & { build(kind: string): Promise<string> };
        cache: { get(key: string): Promise<unknown> };
      }>(`decorators-${setting}/service.js`);
      const moduleRef = await Test.createTestingModule({ providers: [fixture.ReportsService] }).compile();
      const service = moduleRef.get(fixture.ReportsService);
      const first = await service.find('r1', 2026);
      expect(await service.find('r1', 2026)).to.deep.equal(first);
      expect(service.lookups).to.equal(1);
      expect(await fixture.cache.get('report:r1:2026')).to.deep.equal({ id: 'r1', year: 2026, lookup: 1 });
      expect(await fixture.ReportsService.build('q')).to.equal('q #1');
      expect(await fixture.ReportsService.build('q')).to.equal('q #1');
      await moduleRef.close();
    });
  }
});

// A key's value once it is there (a write that lands after the response), within 10 s.
async function stored(key: string): Promise<string> {
  for (let waited = 0; waited < 10_000; waited += 25) {
    const value = await admin.get(key);
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${key} was never stored`);
}

function stop(child: ChildProcess): Promise<number | null> {
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match !== null) resolve(match[1]!.replace('[::1]', '127.0.0.1'));
    });
    child.once('exit', (code) => reject(new Error(`the example exited early with ${code}: ${output}`)));
  });
}
