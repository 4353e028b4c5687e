import { expect } from 'chai';
import { Redis } from 'ioredis';
import { sharedRedis } from '../support/redis-fixtures.js';
import { runTs } from '../support/run.js';

describe('examples/config-aliases', function () {
  this.timeout(30_000);

  it('runs from its config file on the in-memory default', async function () {
    const { code, stdout, stderr } = await runTs('examples/config-aliases/app.ts');
    expect(code, stderr).to.equal(0);
    expect(stdout.trim().split('\n')).to.deep.equal([
      'aliases         -> default, sessions',
      'sessions via    -> memory (namespace sess)',
      "session         -> { user: 'ada', since: '2026-11-21' }",
      'session ttl     -> about 30 minutes',
      'default hits    -> { hits: 1, misses: 2, total: 3, hitRatio: 0.3333333333333333 }',
    ]);
  });

  it('puts sessions on Redis when SESSIONS_URL says so', async function () {
    const server = await sharedRedis();
    const watcher = new Redis({ port: server.port, db: 8 });
    await watcher.flushdb();
    await watcher.config('RESETSTAT');
    const { code, stdout, stderr } = await runTs('examples/config-aliases/app.ts', [], {
      SESSIONS_URL: `${server.url}/8?namespace=sess&ttl=30m`,
    });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.contain('sessions via    -> redis (namespace sess)');
    expect(stdout).to.contain("session         -> { user: 'ada', since: '2026-11-21' }");
    // It really went through this server: the session was written, read and deleted here.
    const stats = await watcher.info('commandstats');
    expect(stats).to.match(/cmdstat_set:calls=1\b/);
    expect(stats).to.match(/cmdstat_unlink:calls=1\b/);
    expect(await watcher.dbsize()).to.equal(0);
    watcher.disconnect();
  });
});
