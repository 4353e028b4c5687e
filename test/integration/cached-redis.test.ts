import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Cache, RedisBackend, cached, multiCached } from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedRedis } from '../support/redis-fixtures.js';
import { freePort } from '../support/redis-server.js';
import { spawnTs } from '../support/run.js';

describe('cached() across processes on one Redis', function () {
  this.timeout(60_000);
  const PROCESSES = 4;

  async function stampede(
    db: number,
    mode: 'lock' | 'nolock',
  ): Promise<{ outputs: string[]; computations: number }> {
    const server = await sharedRedis();
    const admin = new Redis({ port: server.port, db });
    await admin.flushdb();
    const workers = Array.from({ length: PROCESSES }, () =>
      spawnTs('test/fixtures/stampede-worker.ts', [`${server.url}/${db}`, mode, String(PROCESSES)]),
    );
    try {
      // Every process connected and warmed up before any of them calls: one that started late
      // would find the result already stored.
      expect(await Promise.all(workers.map((worker) => worker.nextLine()))).to.deep.equal(
        Array(PROCESSES).fill('ready'),
      );
      for (const worker of workers) worker.send('go');
      const outputs = await Promise.all(workers.map((worker) => worker.nextLine()));
      const runs = await Promise.all(workers.map((worker) => worker.done));
      for (const run of runs) expect(run.code, run.stderr).to.equal(0);
      for (const run of runs)
        expect(run.stdout, 'nothing printed after the result').to.match(/^ready\n[^\n]*\n$/);
      const computations = Number(await admin.get('stampede:computations'));
      return { outputs, computations };
    } finally {
      for (const worker of workers) worker.kill();
      admin.disconnect();
    }
  }

  it('with lock, one process computes and the others get its result', async function () {
    const { outputs, computations } = await stampede(10, 'lock');
    expect(outputs).to.deep.equal(Array(PROCESSES).fill('report q3'));
    expect(computations).to.equal(1);
  });

  it('without lock, every process computes (the control that shows the lock at work)', async function () {
    const { outputs, computations } = await stampede(11, 'nolock');
    expect(outputs).to.deep.equal(Array(PROCESSES).fill('report q3'));
    expect(computations).to.equal(PROCESSES);
  });

  it('fails open when Redis is unreachable: the functions run and answer, with warnings logged', async function () {
    const { logger, records } = recordingLogger();
    const down = new Cache({
      backend: new RedisBackend({ url: `redis://127.0.0.1:${await freePort()}`, logger }),
      timeout: 300,
      logger,
    });
    try {
      let calls = 0;
      const fn = cached(async (n: number) => (calls++, n * 2), { cache: down, lock: true });
      const batch = multiCached(async (ids: number[]) => ids.map((id) => id + 1), { cache: down });
      expect(await fn(21)).to.equal(42);
      expect(await fn(21)).to.equal(42);
      expect(calls).to.equal(2);
      expect(await batch([1, 2])).to.deep.equal([2, 3]);
      expect(records.filter((r) => r.level === 40 && /fail open/.test(String(r.msg))).length).to.be.at.least(
        3,
      );
    } finally {
      await down.close();
    }
  });
});
