import { expect } from 'chai';
import { Redis } from 'ioredis';
import { sharedRedis } from '../support/redis-fixtures.js';
import { runTs } from '../support/run.js';

describe('examples/redis.ts', function () {
  this.timeout(30_000);

  it('runs against a real Redis and prints real values', async function () {
    const server = await sharedRedis();
    const { code, stdout, stderr } = await runTs('examples/redis.ts', [], { REDIS_URL: `${server.url}/7` });
    expect(code, stderr).to.equal(0);
    expect(stdout.trim().split('\n')).to.deep.equal([
      "get acme        -> { plan: 'pro', seats: 12 }",
      'ttl acme        -> about a minute',
      "multiGet        -> [ 'pro', 'free', undefined ]",
      'INCRBY          -> 4',
      'deletePattern   -> 1 key removed (SCAN + UNLINK)',
      'PING            -> PONG',
    ]);
    // It wrote to the server it was pointed at (and so to no other).
    const check = new Redis({ port: server.port, db: 7 });
    expect(await check.get('example-redis-counters:signups')).to.equal('4');
    check.disconnect();
  });
});
