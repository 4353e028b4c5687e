import { expect } from 'chai';
import { Redis, type Cluster } from 'ioredis';
import { Cache, RedisBackend } from '../../lib/index.js';
import { resetCommandStats, serverCommandCalls } from '../support/command-stats.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedCluster } from '../support/redis-fixtures.js';
import { RedisServer } from '../support/redis-server.js';

// exists and ttl over Redis read an entry's ttl and first bytes (stat: MULTI PTTL GETRANGE EXEC),
// and the whole entry only when those bytes mark it as tagged.

// What a read of one key through `stat` sends: one transaction of two reads.
const STAT = { multi: 1, pttl: 1, getrange: 1, exec: 1 };

// The behaviours every deployment shares, over a cache and the admin connections of its servers.
function sharedBehaviours(
  setup: () => { cache: Cache; admins: readonly Redis[]; raw: Redis | Cluster },
  scripts: boolean,
): void {
  it('exists and ttl of an untagged entry send no GET: one transaction, and only its first bytes travel', async function () {
    const { cache, admins } = setup();
    await cache.set('plain', 'x'.repeat(10_000), { ttl: '1h' });
    await resetCommandStats(admins);
    expect(await cache.exists('plain')).to.equal(true);
    expect(await serverCommandCalls(admins)).to.deep.equal(STAT);
    await resetCommandStats(admins);
    const left = await cache.ttl('plain');
    expect(left).to.be.within(1, 3_600_000);
    expect(await serverCommandCalls(admins)).to.deep.equal(STAT);
    await resetCommandStats(admins);
    expect(await cache.exists('missing')).to.equal(false);
    expect(await cache.ttl('missing')).to.equal(undefined);
    expect(await serverCommandCalls(admins)).to.deep.equal({ multi: 2, pttl: 2, getrange: 2, exec: 2 });
  });

  it('exists of a key holding a list (or a hash) is true again, and its ttl is read, not a WRONGTYPE', async function () {
    const { cache, raw } = setup();
    await raw.rpush(cache.storedKey('list'), 'a', 'b');
    await raw.hset(cache.storedKey('hash'), 'f', 'v');
    await raw.pexpire(cache.storedKey('hash'), 3_600_000);
    expect(await cache.exists('list')).to.equal(true);
    expect(await cache.ttl('list')).to.equal(Infinity);
    expect(await cache.exists('hash')).to.equal(true);
    expect(await cache.ttl('hash')).to.be.within(1, 3_600_000);
  });

  it('exists and ttl of a tagged entry then read it with its tags, and read missing once its tags are invalidated', async function () {
    const { cache, admins } = setup();
    await cache.set('tagged', { id: 1 }, { tags: ['catalog'], ttl: '1h' });
    await resetCommandStats(admins);
    expect(await cache.exists('tagged')).to.equal(true);
    // Then the entry with its tags: one script where the server can run it (its GET and MGET are
    // counted too), a GET and then an MGET on a Cluster (the tag keys are in another slot).
    const whole = scripts ? { evalsha: 1, get: 1, mget: 1 } : { get: 1, mget: 1 };
    const calls = await serverCommandCalls(admins);
    delete calls['eval']; // the script's body, sent once if the server had not got it yet
    expect(calls).to.deep.equal({ ...STAT, ...whole });
    await resetCommandStats(admins);
    expect(await cache.ttl('tagged')).to.be.within(1, 3_600_000);
    expect(await serverCommandCalls(admins)).to.deep.equal({ ...STAT, ...whole });
    expect(await cache.invalidateTags(['catalog'])).to.equal(1);
    expect(await cache.exists('tagged')).to.equal(false);
    expect(await cache.ttl('tagged')).to.equal(undefined);
    // Written again, untagged: current again, and read without its value.
    await cache.set('tagged', { id: 2 });
    await resetCommandStats(admins);
    expect(await cache.exists('tagged')).to.equal(true);
    expect(await cache.ttl('tagged')).to.equal(Infinity);
    expect(await serverCommandCalls(admins)).to.deep.equal({ multi: 2, pttl: 2, getrange: 2, exec: 2 });
  });
}

describe('exists and ttl on Redis read an entry’s first bytes, not its value', function () {
  this.timeout(60_000);

  describe('a single node', function () {
    let server: RedisServer;
    let admin: Redis;
    let cache: Cache;

    before(async function () {
      // A server of this block's own: INFO commandstats counts every client's commands.
      server = await RedisServer.start();
      admin = new Redis({ port: server.port, host: '127.0.0.1' });
      const logger = recordingLogger().logger;
      cache = new Cache({
        backend: new RedisBackend({ url: server.url, logger }),
        namespace: 'stat',
        logger,
      });
    });
    after(async function () {
      await cache.close();
      admin.disconnect();
      await server.stop();
    });
    beforeEach(async function () {
      await admin.flushdb();
    });

    sharedBehaviours(() => ({ cache, admins: [admin], raw: admin }), true);
  });

  describe('through a Sentinel', function () {
    let master: RedisServer;
    let sentinel: RedisServer;
    let admin: Redis;
    let cache: Cache;

    before(async function () {
      master = await RedisServer.start();
      sentinel = await RedisServer.start({ sentinelFor: master.port });
      admin = new Redis({ port: master.port, host: '127.0.0.1' });
      cache = Cache.fromUrl(`redis+sentinel://127.0.0.1:${sentinel.port}/mymaster/0?namespace=stat`);
    });
    after(async function () {
      await cache.close();
      admin.disconnect();
      await sentinel.stop();
      await master.stop();
    });
    beforeEach(async function () {
      await admin.flushdb();
    });

    sharedBehaviours(() => ({ cache, admins: [admin], raw: admin }), true);
  });

  describe('a 3-master Cluster', function () {
    let admins: Redis[];
    let raw: Cluster;
    let cache: Cache;

    before(async function () {
      const cluster = await sharedCluster();
      admins = cluster.nodes.map((node) => new Redis({ port: node.port, host: '127.0.0.1' }));
      raw = new Redis.Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }]);
      const logger = recordingLogger().logger;
      cache = new Cache({
        backend: new RedisBackend({ url: cluster.url, logger }),
        namespace: 'stat-cluster',
        logger,
      });
    });
    after(async function () {
      await cache.close();
      raw.disconnect();
      admins.forEach((admin) => admin.disconnect());
    });
    beforeEach(async function () {
      await cache.clear();
    });

    sharedBehaviours(() => ({ cache, admins, raw }), false);
  });
});
