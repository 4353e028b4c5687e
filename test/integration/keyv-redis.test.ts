import { expect } from 'chai';
import { createCache } from 'cache-manager';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { Cache, caches, ConfigError, RedisBackend, StringSerializer } from '../../lib/index.js';
import { createKeyv, KeyvLarder } from '../../lib/keyv/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedRedis } from '../support/redis-fixtures.js';

// KeyvLarder beyond keyv's own suite (test/keyv, under vitest): the bytes each format leaves in
// Redis, and cache-manager v7 on top, against a real redis-server.
describe('larder/keyv over a real Redis', function () {
  this.timeout(20_000);
  let url: string;
  let admin: Redis;
  const opened: Cache[] = [];
  let n = 0;

  const cacheOf = (options: { serializer?: StringSerializer } = {}): Cache => {
    const cache = new Cache({
      backend: new RedisBackend({ url, logger: recordingLogger().logger }),
      namespace: `keyv-${process.pid}-${n++}`,
      ...options,
    });
    opened.push(cache);
    return cache;
  };
  const bytes = async (key: string): Promise<string | null> => admin.get(key);

  before(async function () {
    const server = await sharedRedis();
    url = `${server.url}/14`;
    admin = new Redis({ port: server.port, host: '127.0.0.1', db: 14 });
  });
  after(async function () {
    await Promise.all(opened.map((cache) => cache.close()));
    admin.disconnect();
  });

  describe("the 'keyv' format (the default): Keyv's envelope, as Keyv serialized it", function () {
    it('stores the envelope string as the value: with the JSON serializer, a JSON string of it', async function () {
      const cache = cacheOf();
      const keyv = new Keyv({ store: new KeyvLarder(cache) });
      await keyv.set('plain', 'bar');
      await keyv.set('object', { a: [1, null] }, 60_000);
      await keyv.set('bytes', Buffer.from('bar'));
      await keyv.set('colon', ':x');
      const ns = cache.namespace!;
      expect(await bytes(`${ns}:keyv:plain`)).to.equal(JSON.stringify('{"value":"bar"}'));
      const object = JSON.parse((await bytes(`${ns}:keyv:object`))!) as string;
      expect(object).to.match(/^\{"value":\{"a":\[1,null\]\},"expires":\d{13}\}$/);
      expect(await admin.pttl(`${ns}:keyv:object`)).to.be.within(1, 60_000);
      expect(await bytes(`${ns}:keyv:bytes`)).to.equal(JSON.stringify('{"value":":base64:YmFy"}'));
      expect(await bytes(`${ns}:keyv:colon`)).to.equal(JSON.stringify('{"value":"::x"}'));
      expect(await keyv.get('bytes')).to.deep.equal(Buffer.from('bar'));
    });

    it("with larder's StringSerializer, the bytes are exactly Keyv's envelope", async function () {
      const cache = cacheOf({ serializer: new StringSerializer() });
      const keyv = new Keyv({ store: new KeyvLarder(cache) });
      await keyv.set('k', { n: 1 });
      expect(await bytes(`${cache.namespace!}:keyv:k`)).to.equal('{"value":{"n":1}}');
      expect(await cache.get('keyv:k')).to.equal('{"value":{"n":1}}');
    });
  });

  describe("the 'larder' format: larder's own bytes, readable by a plain cache.get", function () {
    it('writes what cache.set writes, under larder’s ttl, and each side reads the other', async function () {
      const cache = cacheOf();
      const keyv = createKeyv(cache);
      await keyv.set('user:1', { name: 'Ada' }, 60_000);
      expect(await bytes(`${cache.namespace!}:user:1`)).to.equal('{"name":"Ada"}');
      expect(await admin.pttl(`${cache.namespace!}:user:1`)).to.be.within(1, 60_000);
      expect(await cache.get('user:1')).to.deep.equal({ name: 'Ada' });
      await cache.set('user:2', { name: 'Grace' });
      expect(await keyv.get('user:2')).to.deep.equal({ name: 'Grace' });
      const raw = await keyv.getRaw('user:1');
      expect(raw?.value).to.deep.equal({ name: 'Ada' });
      expect(raw?.expires).to.be.within(Date.now(), Date.now() + 60_000);
      expect(await keyv.get(['user:1', 'user:2', 'none'])).to.deep.equal([
        { name: 'Ada' },
        { name: 'Grace' },
        undefined,
      ]);
    });

    it('refuses a Keyv whose own serializer is on, with a ConfigError, and stores nothing', async function () {
      const cache = cacheOf();
      const keyv = new Keyv({ store: new KeyvLarder(cache, { format: 'larder' }) });
      const errors: unknown[] = [];
      keyv.on('error', (error: unknown) => errors.push(error));
      expect(await keyv.set('k', 1)).to.equal(false);
      expect(errors).to.have.length(1);
      expect(errors[0])
        .to.be.instanceOf(ConfigError)
        .and.have.property('message')
        .that.match(/createKeyv/);
      expect(await cache.exists('keyv:k')).to.equal(false);
    });
  });

  it('resolves an alias of the caches registry at each call', async function () {
    const alias = `keyv-alias-${process.pid}`;
    caches.add(alias, { backend: { type: 'redis', url }, namespace: alias });
    try {
      const keyv = createKeyv(alias);
      await keyv.set('k', 'v');
      expect(await caches.get(alias).get('k')).to.equal('v');
      expect(await bytes(`${alias}:k`)).to.equal('"v"');
    } finally {
      await caches.get(alias).clear();
      await caches.get(alias).close();
    }
  });

  it('refuses a bad cache or option with a TypeError', function () {
    expect(() => new KeyvLarder({} as unknown as Cache)).to.throw(TypeError, /Cache or an alias/);
    expect(() => new KeyvLarder('x', { format: 'json' as 'keyv' })).to.throw(TypeError, /format/);
    expect(() => new KeyvLarder('x', { formats: 'keyv' } as never)).to.throw(TypeError, /formats/);
  });

  for (const format of ['keyv', 'larder'] as const) {
    describe(`cache-manager v7 over KeyvLarder ('${format}' format)`, function () {
      let cache: Cache;
      let manager: ReturnType<typeof createCache>;
      // Keyv's key prefix, which the 'keyv' format keeps and createKeyv leaves out.
      let stored: (key: string) => string;

      beforeEach(function () {
        cache = cacheOf();
        const keyv = format === 'keyv' ? new Keyv({ store: new KeyvLarder(cache) }) : createKeyv(cache);
        manager = createCache({ stores: [keyv] });
        stored = (key) => `${cache.namespace!}:${format === 'keyv' ? 'keyv:' : ''}${key}`;
      });

      it('get, set with a ttl, and ttl (the expiry time)', async function () {
        expect(await manager.get('k')).to.equal(undefined);
        expect(await manager.set('k', { n: 1 }, 60_000)).to.deep.equal({ n: 1 });
        expect(await manager.get('k')).to.deep.equal({ n: 1 });
        expect(await admin.pttl(stored('k'))).to.be.within(1, 60_000);
        const expires = await manager.ttl('k');
        expect(expires).to.be.within(Date.now(), Date.now() + 60_000);
        await manager.set('forever', 1);
        expect(await manager.ttl('forever')).to.equal(undefined);
        expect(await admin.pttl(stored('forever'))).to.equal(-1);
      });

      it('mset with a ttl per entry, mget, del, mdel', async function () {
        await manager.mset([
          { key: 'a', value: 1, ttl: 30_000 },
          { key: 'b', value: 2, ttl: 90_000 },
          { key: 'c', value: 3 },
        ]);
        expect(await manager.mget(['a', 'b', 'c', 'none'])).to.deep.equal([1, 2, 3, undefined]);
        expect(await admin.pttl(stored('a'))).to.be.within(1, 30_000);
        expect(await admin.pttl(stored('b'))).to.be.within(30_001, 90_000);
        expect(await admin.pttl(stored('c'))).to.equal(-1);
        expect(await manager.del('a')).to.equal(true);
        expect(await manager.get('a')).to.equal(undefined);
        expect(await manager.mdel(['b', 'c'])).to.equal(true);
        expect(await manager.mget(['b', 'c'])).to.deep.equal([undefined, undefined]);
      });

      it('wrap: computes once for concurrent callers, then serves the stored value', async function () {
        let calls = 0;
        const compute = async (): Promise<string> => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return 'computed';
        };
        const results = await Promise.all(
          Array.from({ length: 10 }, () => manager.wrap('w', compute, 60_000)),
        );
        expect(results).to.deep.equal(Array(10).fill('computed'));
        expect(await manager.wrap('w', compute, 60_000)).to.equal('computed');
        expect(calls).to.equal(1);
        expect(await admin.exists(stored('w'))).to.equal(1);
      });

      it("clear: removes this store's keys and nothing of another namespace", async function () {
        const other = cacheOf();
        await other.set('keep', 1);
        await manager.set('x', 1);
        await manager.set('y', 2);
        expect(await manager.clear()).to.equal(true);
        expect(await manager.mget(['x', 'y'])).to.deep.equal([undefined, undefined]);
        expect(await other.get('keep')).to.equal(1);
      });
    });
  }
});
