import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Cache, RedisBackend } from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { emptyRedisBackend } from '../support/redis-conformance.js';
import { sharedCluster } from '../support/redis-fixtures.js';
import { RedisServer } from '../support/redis-server.js';

// Calls of each command the server has run, from INFO commandstats.
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  return Object.fromEntries(
    [...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map(([, name, calls]) => [name!, Number(calls)]),
  );
}

describe('Cache.getWithTtl, multiSet with a ttl per entry and entries() over a real Redis', function () {
  this.timeout(20_000);

  describe('a single node (a server of its own, so that its command counts are this test’s)', function () {
    let server: RedisServer;
    let admin: Redis;
    let cache: Cache<unknown>;

    before(async function () {
      server = await RedisServer.start();
      admin = new Redis({ port: server.port, host: '127.0.0.1' });
      cache = new Cache({
        backend: new RedisBackend({ url: server.url, logger: recordingLogger().logger }),
        namespace: 'gwt',
      });
    });
    after(async function () {
      await cache.close();
      admin.disconnect();
      await server.stop();
    });

    it('answers value and ms left in one transaction of GET and PTTL, and Infinity or a miss', async function () {
      await cache.set('timed', { n: 1 }, { ttl: '1h' });
      await cache.set('forever', 'v');
      const before = await commandCalls(admin);
      const timed = await cache.getWithTtl('timed');
      const after = await commandCalls(admin);
      expect(timed?.value).to.deep.equal({ n: 1 });
      expect(timed?.ttl).to.be.within(3_590_000, 3_600_000);
      for (const command of ['multi', 'get', 'pttl', 'exec']) {
        expect((after[command] ?? 0) - (before[command] ?? 0), command).to.equal(1);
      }
      expect(await cache.getWithTtl('forever')).to.deep.equal({ value: 'v', ttl: Infinity });
      expect(await cache.getWithTtl('missing')).to.equal(undefined);
    });
  });

  it('work on a Cluster, for keys in every slot range', async function () {
    const cache = new Cache({
      backend: await emptyRedisBackend({
        url: (await sharedCluster()).url,
        logger: recordingLogger().logger,
      }),
    });
    try {
      const keys = Array.from({ length: 12 }, (_, i) => `gwt-cluster:${i}`);
      for (const key of keys) await cache.set(key, key, { ttl: '1h' });
      for (const key of keys) {
        const hit = await cache.getWithTtl(key);
        expect(hit?.value).to.equal(key);
        expect(hit?.ttl).to.be.within(1, 3_600_000);
      }
      expect(await cache.getWithTtl('gwt-cluster:missing')).to.equal(undefined);
      // multiSet with a ttl per entry, and entries(): across every master.
      await cache.multiSet(keys.map((key, i) => [key, i, i % 2 === 0 ? '1m' : null] as const));
      for (const [i, key] of keys.entries()) {
        const ttl = (await cache.getWithTtl(key))?.ttl;
        if (i % 2 === 0) expect(ttl).to.be.within(1, 60_000);
        else expect(ttl).to.equal(Infinity);
      }
      const walked = new Map<string, unknown>();
      for await (const [key, value] of cache.entries('gwt-cluster:*', { count: 5 })) walked.set(key, value);
      expect(walked).to.deep.equal(new Map(keys.map((key, i) => [key, i])));
    } finally {
      await cache.close();
    }
  });
});
