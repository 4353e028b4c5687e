import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisServer } from '../support/redis-server.js';
import { send } from '../support/route-apps.js';
import { spawnTs, type Conversation } from '../support/run.js';

const PROCESSES = 2;
const REQUESTS = 50;

describe(`route cache: servers in ${PROCESSES} processes on one Redis`, function () {
  this.timeout(60_000);
  // A server of this suite's own, emptied before each stampede.
  let server: RedisServer;
  before(async function () {
    server = await RedisServer.start();
  });
  after(async function () {
    await server.stop();
  });

  // The processes of one mode, each with a Fastify and an Express server, started once for both.
  async function workersFor(mode: 'lock' | 'nolock') {
    const { url } = server;
    const admin = new Redis(url);
    await admin.flushdb();
    const workers = Array.from({ length: PROCESSES }, () =>
      spawnTs('test/fixtures/route-stampede-worker.ts', [url, mode, String(PROCESSES)]),
    );
    const bases = (await Promise.all(workers.map((worker) => worker.nextLine()))).map(
      (line) => line.replace(/^listening /, '').split(' ') as [string, string],
    );
    return { admin, workers, bases };
  }

  function stop({ admin, workers }: { admin: Redis; workers: Conversation[] }): void {
    for (const worker of workers) worker.kill();
    admin.disconnect();
  }

  async function stampede(
    { admin, bases }: { admin: Redis; bases: [string, string][] },
    framework: 'fastify' | 'express',
  ): Promise<{ statuses: string[]; bodies: string[]; runs: number }> {
    const side = framework === 'fastify' ? 0 : 1;
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) => send(`${bases[i % PROCESSES]![side]}/${framework}/report`)),
    );
    for (const answer of answers) expect(answer.status, answer.body).to.equal(200);
    return {
      statuses: answers.map((answer) => String(answer.headers['x-cache'])),
      bodies: answers.map((answer) => answer.body),
      runs: Number(await admin.get(`route-stampede:${framework}:runs`)),
    };
  }

  it(`with lock, ${REQUESTS} concurrent cold requests spread over the processes run the handler once (Fastify, then Express)`, async function () {
    const workers = await workersFor('lock');
    try {
      for (const framework of ['fastify', 'express'] as const) {
        const { statuses, bodies, runs } = await stampede(workers, framework);
        expect(runs, framework).to.equal(1);
        expect(new Set(bodies).size, framework).to.equal(1);
        expect(
          statuses.filter((status) => status === 'MISS'),
          framework,
        ).to.have.length(1);
        expect(
          statuses.filter((status) => status === 'HIT'),
          framework,
        ).to.have.length(REQUESTS - 1);
      }
    } finally {
      stop(workers);
    }
  });

  it('without lock, each process runs it once (the control that shows the lock at work)', async function () {
    const workers = await workersFor('nolock');
    try {
      for (const framework of ['fastify', 'express'] as const) {
        const { statuses, runs } = await stampede(workers, framework);
        expect(runs, framework).to.equal(PROCESSES);
        expect(
          statuses.filter((status) => status === 'MISS'),
          framework,
        ).to.have.length(PROCESSES);
      }
    } finally {
      stop(workers);
    }
  });
});
