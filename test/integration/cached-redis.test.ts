import { expect } from 'chai';
import { Redis } from 'ioredis';
import { sharedRedis } from '../support/redis-fixtures.js';
import { runTs } from '../support/run.js';

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
    // Far enough ahead for every process to have started, so they all call at the same instant.
    const startAt = String(Date.now() + 5_000);
    const runs = await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        runTs('test/fixtures/stampede-worker.ts', [`${server.url}/${db}`, startAt, mode]),
      ),
    );
    for (const run of runs) expect(run.code, run.stderr).to.equal(0);
    const computations = Number(await admin.get('stampede:computations'));
    admin.disconnect();
    return { outputs: runs.map((run) => run.stdout.trim()), computations };
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
});
