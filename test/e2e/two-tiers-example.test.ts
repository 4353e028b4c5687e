import { expect } from 'chai';
import { Redis } from 'ioredis';
import { sharedRedis } from '../support/redis-fixtures.js';
import { runTs } from '../support/run.js';

describe('examples/two-tiers/main.ts', function () {
  this.timeout(60_000);

  it('shows a reader process serving from its L1 and dropping the value another process overwrote', async function () {
    const server = await sharedRedis();
    const { code, stdout, stderr } = await runTs('examples/two-tiers/main.ts', [], {
      REDIS_URL: `${server.url}/3`,
    });
    expect(code, stderr).to.equal(0);
    expect(stdout.trim().split('\n')).to.deep.equal([
      'writer set price  -> 10',
      'reader get price  -> 10 (read from Redis once, now in its L1)',
      'reader peek price -> 10 (the L1, synchronously; coherence live)',
      'writer set price  -> 12',
      'reader get price  -> 12 (the L1 dropped the old value)',
    ]);
    // It cleaned up after itself, in the database it was given.
    const check = new Redis({ port: server.port, host: '127.0.0.1', db: 3 });
    try {
      expect(await check.exists('example-two-tiers:price')).to.equal(0);
    } finally {
      check.disconnect();
    }
  });
});
