import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Cache, RedisBackend, detectCache } from '../../lib/index.js';
import { recordSent } from '../support/command-stats.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedCluster } from '../support/redis-fixtures.js';
import { RedisServer } from '../support/redis-server.js';

// A plain get learns, per key, that an entry is tagged: its next get reads the entry and its tags
// in one round trip (getWithTags), while untagged keys keep their plain GET.

describe('a plain tagged get on Redis', function () {
  this.timeout(60_000);

  describe('a single node', function () {
    let server: RedisServer;
    let admin: Redis;
    let cache: Cache;
    const sent: string[] = [];

    before(async function () {
      server = await RedisServer.start();
      admin = new Redis({ port: server.port, host: '127.0.0.1' });
      const logger = recordingLogger().logger;
      const backend = new RedisBackend({ url: server.url, logger });
      recordSent(backend.client as Redis, sent);
      cache = new Cache({ backend, namespace: 'plain', logger });
    });
    after(async function () {
      await cache.close();
      admin.disconnect();
      await server.stop();
    });
    beforeEach(async function () {
      await admin.flushdb();
      sent.length = 0;
    });

    it('an untagged get is one GET, every time', async function () {
      await cache.set('u', 1);
      sent.length = 0;
      for (let i = 0; i < 3; i++) expect(await cache.get('u')).to.equal(1);
      expect(sent).to.deep.equal(['get', 'get', 'get']);
    });

    it('a tagged key: GET then MGET on its first get, one script on the next ones; invalidations still win', async function () {
      await cache.set('t', 'v', { tags: ['a', 'b'] });
      sent.length = 0;
      expect(await cache.get('t')).to.equal('v');
      expect(sent).to.deep.equal(['get', 'mget']);
      sent.length = 0;
      expect(await cache.get('t')).to.equal('v');
      expect(await cache.get('t')).to.equal('v');
      expect(sent.filter((name) => name !== 'eval')).to.deep.equal(['evalsha', 'evalsha']);
      await cache.invalidateTags(['b']);
      sent.length = 0;
      expect(await cache.get('t')).to.equal(undefined);
      // The script's tokens differ: the tags are read once more before the entry is called missing.
      expect(sent).to.deep.equal(['evalsha', 'mget']);
      expect(await cache.get('t', { default: 'none' })).to.equal('none');
    });

    it('a key that is no longer tagged goes back to a plain GET after one script', async function () {
      await cache.set('k', 1, { tags: ['a'] });
      expect(await cache.get('k')).to.equal(1);
      await cache.set('k', 2);
      sent.length = 0;
      expect(await cache.get('k')).to.equal(2);
      expect(await cache.get('k')).to.equal(2);
      expect(sent.filter((name) => name !== 'eval')).to.deep.equal(['evalsha', 'get']);
      await cache.delete('k');
      expect(await cache.get('k')).to.equal(undefined);
    });
    it('a tagged key deleted since goes back to a plain GET after one script', async function () {
      await cache.set('gone', 1, { tags: ['a'] });
      expect(await cache.get('gone')).to.equal(1);
      await admin.del(cache.storedKey('gone'));
      sent.length = 0;
      expect(await cache.get('gone')).to.equal(undefined);
      expect(await cache.get('gone')).to.equal(undefined);
      expect(sent.filter((name) => name !== 'eval')).to.deep.equal(['evalsha', 'get']);
    });

    it('detectCache lists a hit read by the script, even when the value equals the default asked for', async function () {
      await cache.set('zero', 0, { tags: ['a'] });
      expect(await cache.get('zero', { default: 0 })).to.equal(0);
      sent.length = 0;
      const { result, hits } = await detectCache(() => cache.get('zero', { default: 0 }));
      // The read is the script (detectCache then reads the hit's ttl on its own).
      expect(sent.filter((name) => name !== 'eval')[0]).to.equal('evalsha');
      expect(sent).to.not.include('get');
      expect(result).to.equal(0);
      expect(hits.map((hit) => hit.key)).to.deep.equal([cache.storedKey('zero')]);
    });
  });

  describe('a 3-master Cluster (tag keys in another slot)', function () {
    let cache: Cache;
    const sent: string[] = [];

    before(async function () {
      const logger = recordingLogger().logger;
      const backend = new RedisBackend({ url: (await sharedCluster()).url, logger });
      cache = new Cache({ backend, namespace: 'plain-cluster', logger });
      await cache.set('warm', 0);
      for (const node of (backend.client as unknown as { nodes(): Redis[] }).nodes()) {
        recordSent(node, sent);
      }
    });
    after(async function () {
      await cache.close();
    });

    it('stays a GET, then an MGET of the tags: two round trips, no script', async function () {
      await cache.set('t', 'v', { tags: ['a'] });
      for (let i = 0; i < 2; i++) {
        sent.length = 0;
        expect(await cache.get('t')).to.equal('v');
        expect(sent).to.deep.equal(['get', 'mget']);
      }
      await cache.invalidateTags(['a']);
      expect(await cache.get('t')).to.equal(undefined);
    });
  });
});
