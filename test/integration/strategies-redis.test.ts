import { expect } from 'chai';
import { Redis } from 'ioredis';
import {
  Cache,
  CircuitOpenError,
  RateLimitError,
  RedisBackend,
  cached,
  circuitBreaker,
  rateLimited,
} from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedCluster, sharedRedis } from '../support/redis-fixtures.js';
import { spawnTs, type Conversation } from '../support/run.js';

// The suite runs in a namespace of its own on db 6 (each mode under a prefix of its own), so
// nothing needs flushing. Four worker processes are started once for every test.
const DB = 6;
const PROCESSES = 4;

describe('strategies across processes on one Redis', function () {
  this.timeout(60_000);
  let admin: Redis;
  let cache: Cache;
  let workers: Conversation[];
  const namespace = `strategies-${process.pid}`;

  before(async function () {
    const server = await sharedRedis();
    admin = new Redis({ port: server.port, db: DB });
    cache = new Cache({
      backend: new RedisBackend({ url: `${server.url}/${DB}` }),
      namespace,
      logger: recordingLogger().logger,
    });
    const url = `${server.url}/${DB}?namespace=${namespace}`;
    workers = Array.from({ length: PROCESSES }, () =>
      spawnTs('test/fixtures/strategy-worker.ts', [url, String(PROCESSES)]),
    );
    expect(await Promise.all(workers.map((worker) => worker.nextLine()))).to.deep.equal(
      Array(PROCESSES).fill('ready'),
    );
  });

  after(async function () {
    for (const worker of workers) worker.send('exit');
    const done = await Promise.all(workers.map((worker) => worker.done));
    admin.disconnect();
    await cache.close();
    for (const run of done) expect(run.code, run.stderr).to.equal(0);
  });

  const reached = async (mode: string): Promise<number> =>
    Number(await admin.get(`${namespace}:${mode}:reached`));

  /** Sends `mode` to every worker at once; their JSON answers. */
  async function together(mode: string): Promise<unknown[]> {
    for (const worker of workers) worker.send(mode);
    const answers = await Promise.all(workers.map((worker) => worker.nextLine()));
    return answers.map((line) => JSON.parse(line) as unknown);
  }

  it('hits: the count is shared, so 12 calls over 4 processes spend hits: 12, and the next call computes', async function () {
    const count = async (): Promise<string> => `v${await admin.incr(`${namespace}:hits:reached`)}`;
    const get = cached(count, { cache, ttl: '1m', hits: 12, key: 'hits' });
    expect(await get()).to.equal('v1');
    const answers = await together('hits');
    expect(answers).to.deep.equal(Array(PROCESSES).fill(['v1', 'v1', 'v1']));
    expect(await reached('hits')).to.equal(1);
    // The 13th read after the computation: a count kept per process would still answer v1.
    expect(await get()).to.equal('v2');
    expect(await reached('hits')).to.equal(2);
  });

  it('rateLimited: 200 concurrent calls over 4 processes with a limit of 50 let exactly 50 through', async function () {
    const answers = (await together('rate')) as { passed: number; limited: number }[];
    expect(answers.reduce((sum, a) => sum + a.passed, 0)).to.equal(50);
    expect(answers.reduce((sum, a) => sum + a.limited, 0)).to.equal(150);
    expect(await reached('rate')).to.equal(50);
  });

  it('circuitBreaker: once half-open, exactly one trial call across 4 processes reaches the function', async function () {
    // Open the circuit from here: 2 failed calls of 2.
    const failing = circuitBreaker(
      async () => {
        throw new Error('down');
      },
      { cache, errorRate: 0.5, minCalls: 2, period: '1m', openFor: 500, key: 'cb' },
    );
    for (let i = 0; i < 2; i++) await failing().catch(() => undefined);
    expect(await admin.exists(`${namespace}:circuit:cb:open`)).to.equal(1);
    // Half-open once the open key expires (Redis decides when).
    const deadline = Date.now() + 10_000;
    while ((await admin.exists(`${namespace}:circuit:cb:open`)) === 1) {
      if (Date.now() > deadline) throw new Error('the circuit never half-opened');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const answers = await together('trial');
    expect([...answers].sort()).to.deep.equal(['rejected', 'rejected', 'rejected', 'trial']);
    expect(await reached('trial')).to.equal(1);
    // The trial succeeded: closed.
    expect(await admin.exists(`${namespace}:circuit:cb:tripped`)).to.equal(0);
  });

  async function storeForRefreshAhead(key: string): Promise<void> {
    const get = cached(async () => 'old', { cache, ttl: '1m', refreshAhead: 0.5, key });
    expect(await get()).to.equal('old');
  }

  it('refreshAhead with lock: 4 processes past the fraction get the value, and one of them refreshes', async function () {
    await storeForRefreshAhead('ahead-lock');
    const answers = await together('ahead-lock');
    expect(answers).to.deep.equal(Array(PROCESSES).fill('old'));
    expect(await reached('ahead-lock')).to.equal(1);
  });

  it('refreshAhead without lock: one refresh per process (the control that shows the lock at work)', async function () {
    await storeForRefreshAhead('ahead-nolock');
    const answers = await together('ahead-nolock');
    expect(answers).to.deep.equal(Array(PROCESSES).fill('old'));
    expect(await reached('ahead-nolock')).to.equal(PROCESSES);
  });
});

describe('strategies on a Redis Cluster', function () {
  this.timeout(60_000);
  let cache: Cache;

  before(async function () {
    cache = Cache.fromUrl(`${(await sharedCluster()).url}?namespace=strategies-${process.pid}`, {
      logger: recordingLogger().logger,
    });
  });

  after(async function () {
    await cache.close();
  });

  it('rateLimited counts keys wherever their slots are', async function () {
    const ping = rateLimited(async (user: string) => user, {
      cache,
      limit: 2,
      period: '1m',
      key: (user) => user,
    });
    for (const user of ['ann', 'bob', 'cy']) {
      expect(await ping(user)).to.equal(user);
      expect(await ping(user)).to.equal(user);
      expect(await ping(user).catch((error: unknown) => error)).to.be.instanceOf(RateLimitError);
    }
  });

  it('circuitBreaker reads and clears its state keys across slots', async function () {
    let failing = true;
    const guarded = circuitBreaker(
      async () => {
        if (failing) throw new Error('down');
        return 'up';
      },
      { cache, errorRate: 0.5, minCalls: 2, period: '1m', openFor: 300, key: 'cluster' },
    );
    for (let i = 0; i < 2; i++) await guarded().catch(() => undefined);
    expect(await guarded().catch((error: unknown) => error)).to.be.instanceOf(CircuitOpenError);
    const deadline = Date.now() + 10_000;
    failing = false;
    // Half-open once Redis expires the open key; then the trial closes the circuit.
    for (;;) {
      const answer = await guarded().catch((error: unknown) => error);
      if (answer === 'up') break;
      expect(answer).to.be.instanceOf(CircuitOpenError);
      if (Date.now() > deadline) throw new Error('the circuit never half-opened');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await guarded()).to.equal('up');
    expect(await cache.exists('circuit:cluster:tripped')).to.equal(false);
  });
});
