import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Cache, RedisBackend, cached } from '../../lib/index.js';
import { wrapPayload } from '../../lib/tags/tagged-payload.js';
import { recordSent, resetCommandStats, serverCommandCalls } from '../support/command-stats.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedCluster } from '../support/redis-fixtures.js';
import { RedisServer } from '../support/redis-server.js';

// A read-through whose results are tagged by a function (its tags unknown before the read) reads
// the entry and its tags' tokens in one step: the backend's getWithTags, one script on Redis.

describe('a read-through tagged by a function reads its entry and tags in one round trip on Redis', function () {
  this.timeout(60_000);

  describe('a single node', function () {
    let server: RedisServer;
    let admin: Redis;
    let cache: Cache;
    // The commands this cache's client sends, by name.
    const sent: string[] = [];

    before(async function () {
      server = await RedisServer.start();
      admin = new Redis({ port: server.port, host: '127.0.0.1' });
      const logger = recordingLogger().logger;
      const backend = new RedisBackend({ url: server.url, logger });
      recordSent(backend.client as Redis, sent);
      cache = new Cache({ backend, namespace: 'gwt', logger });
    });
    after(async function () {
      await cache.close();
      admin.disconnect();
      await server.stop();
    });
    beforeEach(async function () {
      await admin.flushdb();
    });

    it('a hit is one command (the script), where GET then MGET were two; an invalidation still makes it miss', async function () {
      let calls = 0;
      const load = cached(async (id: string) => ({ id, n: ++calls }), {
        cache,
        tags: (_result, id) => [`product:${id}`, 'catalog'],
      });
      expect(await load('1')).to.deep.equal({ id: '1', n: 1 });
      await resetCommandStats([admin]);
      sent.length = 0;
      expect(await load('1')).to.deep.equal({ id: '1', n: 1 });
      // One command leaves this client; the server counts the GET and MGET the script ran.
      expect(sent).to.deep.equal(['evalsha']);
      expect(await serverCommandCalls([admin])).to.deep.equal({ evalsha: 1, get: 1, mget: 1 });
      expect(await cache.invalidateTags(['product:1'])).to.equal(1);
      expect(await load('1')).to.deep.equal({ id: '1', n: 2 });
      await cache.invalidateTags(['catalog']);
      expect(await load('1')).to.deep.equal({ id: '1', n: 3 });
      // A tag key lost: a miss, never a resurrection.
      const tagKeys = await admin.keys('__larder:tag:*');
      await admin.del(...tagKeys);
      expect(await load('1')).to.deep.equal({ id: '1', n: 4 });
    });

    it('an entry stored untagged, or tagged otherwise, and a server that forgot the script', async function () {
      let calls = 0;
      const load = cached(async () => ++calls, { cache, key: 'k', tags: () => ['t'] });
      await cache.set('k', 41);
      sent.length = 0;
      expect(await load()).to.equal(41);
      expect(sent).to.deep.equal(['evalsha']);
      await cache.set('k', 42, { tags: ['other'] });
      expect(await load()).to.equal(42);
      await cache.invalidateTags(['other']);
      expect(await load()).to.equal(1);
      await admin.script('FLUSH');
      sent.length = 0;
      expect(await load()).to.equal(1);
      // NOSCRIPT, then the script's body: a server that forgot it costs one round trip more, once.
      expect(sent).to.deep.equal(['evalsha', 'eval']);
      await cache.invalidateTags(['t']);
      expect(await load()).to.equal(2);
    });

    it('a server that refuses scripts (an ACL without them): a GET, then an MGET, as before', async function () {
      await admin.acl('SETUSER', 'noscripts', 'on', '>pw', '~*', '&*', '+@all', '-@scripting');
      const logger = recordingLogger().logger;
      const backend = new RedisBackend({ url: `redis://noscripts:pw@127.0.0.1:${server.port}`, logger });
      const limited = new Cache({ backend, namespace: 'gwt', logger });
      try {
        let calls = 0;
        const load = cached(async () => ++calls, { cache: limited, key: 'acl', tags: () => ['t'] });
        expect(await load()).to.equal(1);
        expect(await load()).to.equal(1);
        await resetCommandStats([admin]);
        expect(await load()).to.equal(1);
        expect(await serverCommandCalls([admin])).to.deep.equal({ get: 1, mget: 1 });
        await limited.invalidateTags(['t']);
        expect(await load()).to.equal(2);
      } finally {
        await limited.close();
        await admin.acl('DELUSER', 'noscripts');
      }
    });

    it('reads tagged entries stored as earlier versions stored them (the layout is unchanged)', async function () {
      // Written byte for byte as the tagged writer of the previous release did: mark, header
      // length, JSON [tag keys, tokens], payload.
      const load = cached(async () => 'computed', { cache, key: 'old', tags: () => ['t'] });
      const tagKey = '__larder:tag:{tgwt}:t';
      await admin.set(tagKey, 'an-old-token');
      await admin.set(
        cache.storedKey('old'),
        wrapPayload('"stored"', [tagKey], ['an-old-token'], false) as Buffer,
      );
      sent.length = 0;
      expect(await load()).to.equal('stored');
      expect(sent).to.deep.equal(['evalsha']);
      await admin.set(tagKey, 'a-new-token');
      expect(await load()).to.equal('computed');
    });
  });

  describe('a 3-master Cluster (tag keys in another slot: two round trips stay)', function () {
    let admins: Redis[];
    let cache: Cache;

    before(async function () {
      const cluster = await sharedCluster();
      admins = cluster.nodes.map((node) => new Redis({ port: node.port, host: '127.0.0.1' }));
      const logger = recordingLogger().logger;
      cache = new Cache({
        backend: new RedisBackend({ url: cluster.url, logger }),
        namespace: 'gwt-cluster',
        logger,
      });
    });
    after(async function () {
      await cache.close();
      admins.forEach((admin) => admin.disconnect());
    });

    it('a hit is a GET and an MGET of its tags, no script; an invalidation makes it miss', async function () {
      let calls = 0;
      const load = cached(async (id: string) => `${id}#${++calls}`, {
        cache,
        tags: (_result, id) => [`item:${id}`],
      });
      expect(await load('a')).to.equal('a#1');
      await resetCommandStats(admins);
      expect(await load('a')).to.equal('a#1');
      expect(await serverCommandCalls(admins)).to.deep.equal({ get: 1, mget: 1 });
      await cache.invalidateTags(['item:a']);
      expect(await load('a')).to.equal('a#2');
    });
  });
});
