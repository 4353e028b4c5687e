import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisServer } from '../support/redis-server.js';
import { runTs } from '../support/run.js';

const PASSWORD = 'example-secret';

describe('examples/redis.ts', function () {
  this.timeout(30_000);
  // A server of this file's own, so that it can require a password: the example must use the one
  // in REDIS_URL and never print it.
  let server: RedisServer;

  before(async function () {
    server = await RedisServer.start();
    const admin = new Redis({ port: server.port, host: '127.0.0.1' });
    await admin.config('SET', 'requirepass', PASSWORD);
    admin.disconnect();
  });

  after(async function () {
    await server?.stop();
  });

  it('runs against a real Redis given a REDIS_URL with a query of its own, and prints real values', async function () {
    // The URL already has a query: the example's namespace and ttl must join it, not follow a
    // second `?`.
    const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}/7?connectTimeout=5000&scanCount=10`;
    const { code, stdout, stderr } = await runTs('examples/redis.ts', [], { REDIS_URL: url });
    expect(code, stderr).to.equal(0);
    expect(stdout.trim().split('\n')).to.deep.equal([
      `server          -> 127.0.0.1:${server.port}`,
      "get acme        -> { plan: 'pro', seats: 12 }",
      'ttl acme        -> about a minute',
      "multiGet        -> [ 'pro', 'free', undefined ]",
      'INCRBY          -> 4',
      'deletePattern   -> 1 key removed (SCAN + UNLINK)',
      'PING            -> PONG',
    ]);
    expect(stdout + stderr).to.not.include(PASSWORD);

    // It wrote to the server and database it was pointed at, under its namespaces, with its ttl.
    const check = new Redis({ port: server.port, host: '127.0.0.1', db: 7, password: PASSWORD });
    try {
      expect(await check.get('example-redis-counters:signups')).to.equal('4');
      expect(JSON.parse((await check.get('example-redis:acme'))!)).to.deep.equal({ plan: 'pro', seats: 12 });
      const ttl = await check.pttl('example-redis:acme');
      expect(ttl).to.be.within(1, 60_000);
      expect((await check.keys('*')).sort()).to.deep.equal([
        'example-redis-counters:signups',
        'example-redis:acme',
        'example-redis:globex',
      ]);
    } finally {
      check.disconnect();
    }
  });
});
