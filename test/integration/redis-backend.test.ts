import { expect } from 'chai';
import { Redis } from 'ioredis';
import sinon from 'sinon';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import type { HitMissRatioPlugin } from '../../lib/index.js';
import {
  Cache,
  CacheRegistry,
  ConfigError,
  JsonSerializer,
  NullSerializer,
  RedisBackend,
  StringSerializer,
  keySlot,
} from '../../lib/index.js';
import { MarkedBytesSerializer } from '../support/bytes-serializer.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedCluster, sharedRedis } from '../support/redis-fixtures.js';
import { RedisServer } from '../support/redis-server.js';

/** Calls per command on a server since the last CONFIG RESETSTAT, leaving out the admin's own. */
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const calls: Record<string, number> = {};
  for (const [, name, count] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (!/^(config|info)\b/.test(name!)) calls[name!] = Number(count);
  }
  return calls;
}

/**
 * Checks the ttl Redis reports for a key written with `ttlMs` no earlier than `writtenAt` (a
 * `Date.now()`, read on the same clock Redis reads): all of it, less no more than has passed since.
 * The bound is what was measured, so a slow machine widens it exactly as much as it was slow.
 */
async function expectPttl(admin: Redis, key: string, ttlMs: number, writtenAt: number): Promise<void> {
  const pttl = await admin.pttl(key);
  const elapsed = Date.now() - writtenAt;
  expect(pttl, `pttl of ${key}, ${elapsed} ms after it was written`).to.be.within(ttlMs - elapsed, ttlMs);
}

describe('RedisBackend on a real server', function () {
  this.timeout(30_000);
  let admin: Redis;
  let cache: Cache;
  let url: string;

  before(async function () {
    const server = await sharedRedis();
    url = `${server.url}/5`;
    admin = new Redis({ port: server.port, db: 5 });
  });

  beforeEach(async function () {
    await admin.flushdb();
    cache = Cache.fromUrl(`${url}?namespace=app`);
  });

  afterEach(async function () {
    await cache.close();
  });

  after(function () {
    admin.disconnect();
  });

  describe('payloads', function () {
    it('stores plain JSON text that other clients read and write', async function () {
      await cache.set('user', { name: 'Ada', tags: ['x'] });
      expect(await admin.get('app:user')).to.equal('{"name":"Ada","tags":["x"]}');
      await admin.set('app:other', '{"written":"elsewhere"}');
      expect(await cache.get('other')).to.deep.equal({ written: 'elsewhere' });
    });

    it('stores Uint8Array payloads as binary, never as mangled text', async function () {
      const binary = new Cache({
        backend: new RedisBackend({ url }),
        serializer: new MarkedBytesSerializer(),
      });
      try {
        await binary.set('bin', 'é!');
        await binary.multiSet({ a: 'one', b: 'two' }, { ttl: '1m' });
        const stored = await admin.getBuffer('bin');
        expect([...stored!]).to.deep.equal([0xff, 0xc3, 0xa9, 0x21]);
        expect(await binary.get('bin')).to.equal('é!');
        expect(await binary.multiGet(['a', 'b', 'missing'])).to.deep.equal(['one', 'two', undefined]);
      } finally {
        await binary.close();
      }
    });

    it('refuses NullSerializer, which would store references Redis cannot hold', function () {
      const backend = new RedisBackend({ url, lazyConnect: true });
      expect(() => new Cache({ backend, serializer: new NullSerializer() })).to.throw(ConfigError);
      void backend.close();
    });

    it('uses JSON by default and takes another serializer', async function () {
      expect(cache.serializer).to.be.instanceOf(JsonSerializer);
      const text = Cache.fromUrl(`${url}?serializer=string&namespace=s`);
      await text.set('k', 'plain');
      expect(await admin.get('s:k')).to.equal('plain');
      expect(text.serializer).to.be.instanceOf(StringSerializer);
      await text.close();
    });
  });

  describe('commands issued (one round trip each)', function () {
    const cases: [string, (c: Cache) => Promise<unknown>, Record<string, number>][] = [
      ['get', (c) => c.get('a'), { get: 1 }],
      ['multiGet', (c) => c.multiGet(['a', 'b', 'c']), { mget: 1 }],
      ['set', (c) => c.set('a', 1), { set: 1 }],
      ['set with ttl', (c) => c.set('a', 1, { ttl: '1m' }), { set: 1 }],
      ['add', (c) => c.add('fresh', 1, { ttl: '1m' }), { set: 1 }],
      ['multiSet', (c) => c.multiSet({ a: 1, b: 2 }), { mset: 1 }],
      ['multiSet with ttl', (c) => c.multiSet({ a: 1, b: 2 }, { ttl: '1m' }), { multi: 1, set: 2, exec: 1 }],
      // The ttl and the value's first 4 bytes, not EXISTS: a tagged entry (told by those bytes)
      // whose tags were invalidated is missing.
      ['exists', (c) => c.exists('a'), { multi: 1, pttl: 1, getrange: 1, exec: 1 }],
      // One EVAL: INCRBY, and GET of the exact result, undone past the safe integer range.
      ['increment', (c) => c.increment('n', 2), { eval: 1, incrby: 1, get: 1 }],
      ['expire', (c) => c.expire('a', '1m'), { pexpire: 1 }],
      ['expire null', (c) => c.expire('a', null), { multi: 1, exists: 1, persist: 1, exec: 1 }],
      // The same transaction as exists, for the same reason.
      ['ttl', (c) => c.ttl('a'), { multi: 1, pttl: 1, getrange: 1, exec: 1 }],
      ['delete', (c) => c.delete('a'), { unlink: 1 }],
      ['multiDelete', (c) => c.multiDelete(['a', 'b']), { unlink: 1 }],
      ['deletePattern', (c) => c.deletePattern('*'), { scan: 1, unlink: 1 }],
      ['clear with a namespace', (c) => c.clear(), { scan: 1, unlink: 1 }],
    ];
    for (const [label, operation, expected] of cases) {
      it(`${label} sends ${Object.entries(expected)
        .map(([name, n]) => `${name.toUpperCase()}×${n}`)
        .join(' ')}`, async function () {
        await cache.multiSet({ a: 1, b: 2 });
        await admin.config('RESETSTAT');
        await operation(cache);
        expect(await commandCalls(admin)).to.deep.equal(expected);
      });
    }

    it('clear with no namespace sends FLUSHDB', async function () {
      const root = Cache.fromUrl(url);
      await root.set('k', 1);
      await admin.config('RESETSTAT');
      await root.clear();
      expect(await commandCalls(admin)).to.deep.equal({ flushdb: 1 });
      await root.close();
    });
  });

  it('follows SCAN to the end of the keyspace in deletePattern', async function () {
    const walker = new Cache({ backend: new RedisBackend({ url, scanCount: 50 }), namespace: 'many' });
    await walker.multiSet(Array.from({ length: 3_000 }, (_, i) => [`k${i}`, i] as [string, number]));
    await admin.set('other:k1', 1);
    expect(await walker.deletePattern('k*')).to.equal(3_000);
    expect(await admin.dbsize()).to.equal(1);
    await walker.close();
  });

  it('passes raw commands to ioredis', async function () {
    expect(await cache.raw('PING')).to.equal('PONG');
    await cache.set('k', 1);
    expect(await cache.raw('dbsize')).to.equal(1);
  });

  describe('auto-pipelining (one write per tick)', function () {
    it('sends the commands of one tick in one write, before the next turn of the event loop', async function () {
      const client = (cache.backend as RedisBackend).client as Redis;
      await cache.set('warm', 0); // connected
      const writev = sinon.spy(client.stream, '_writev');
      try {
        const issued = [cache.get('a'), cache.set('b', 2), cache.get('b'), cache.exists('warm')];
        // All four are with ioredis and on the socket, which is corked: nothing waits for a pipeline.
        // exists is a transaction of four commands (MULTI PTTL GETRANGE EXEC): seven in all.
        expect(client.autoPipelineQueueSize).to.equal(0);
        expect(client.commandQueue.length).to.equal(7);
        expect(client.stream.writableCorked).to.equal(1);
        await new Promise((resolve) => process.nextTick(resolve));
        expect(client.stream.writableCorked).to.equal(0);
        expect(writev.callCount).to.equal(1);
        expect(writev.firstCall.args[0]).to.have.length(4);
        expect(await Promise.all(issued)).to.deep.equal([undefined, true, 2, true]);
      } finally {
        writev.restore();
      }
    });

    it('never lets a command overtake one already queued in a pipeline of a shared client', async function () {
      const client = new Redis({ port: (await sharedRedis()).port, db: 5, enableAutoPipelining: true });
      const shared = new Cache({ backend: new RedisBackend({ client }) });
      try {
        await client.ping();
        for (let round = 0; round < 20; round++) {
          // The owner's write is queued for the next loop turn; the cache's read must follow it.
          const write = client.set('k', JSON.stringify(round));
          expect(client.autoPipelineQueueSize).to.equal(1);
          const read = shared.get('k');
          await write;
          expect(await read).to.equal(round);
        }
      } finally {
        await shared.close();
        client.disconnect();
      }
    });

    it('two caches over one plain client cork its socket together and keep one order', async function () {
      const client = new Redis({ port: (await sharedRedis()).port, db: 5 });
      const first = new Cache({ backend: new RedisBackend({ client }), namespace: 'one' });
      const second = new Cache({ backend: new RedisBackend({ client }), namespace: 'one' });
      try {
        await client.ping();
        for (let round = 0; round < 10; round++) {
          const ops = [first.set('k', round), second.get('k'), second.set('k', round + 1), first.get('k')];
          // Each backend corked the shared socket once; both uncork in this tick's nextTick.
          expect(client.stream.writableCorked).to.equal(2);
          expect(await Promise.all(ops)).to.deep.equal([true, round, true, round + 1]);
          expect(client.stream.writableCorked).to.equal(0);
        }
      } finally {
        await Promise.all([first.close(), second.close()]);
        client.disconnect();
      }
    });

    it('keeps issue order between writes and reads, sequential or concurrent', async function () {
      for (let round = 0; round < 20; round++) {
        const ops = [cache.set('k', round), cache.get('k'), cache.set('k', round + 1), cache.get('k')];
        expect(await Promise.all(ops)).to.deep.equal([true, round, true, round + 1]);
        expect(await cache.get('k')).to.equal(round + 1);
      }
      expect(await cache.multiGet(['k', 'missing'])).to.deep.equal([20, undefined]);
    });

    it('leaves clients with auto-pipelining off alone', async function () {
      const plain = new Cache({ backend: new RedisBackend({ url, autoPipelining: false }) });
      try {
        await plain.set('k', 1);
        const client = (plain.backend as RedisBackend).client as Redis;
        const reads = [plain.get('k'), plain.get('k')];
        expect(client.stream.writableCorked).to.equal(0);
        expect(client.autoPipelineQueueSize).to.equal(0);
        expect(client.commandQueue.length).to.equal(2);
        expect(await Promise.all(reads)).to.deep.equal([1, 1]);
      } finally {
        await plain.close();
      }
    });
  });

  describe('clients', function () {
    it("leaves a caller's own client connected on close", async function () {
      const client = new Redis({ port: (await sharedRedis()).port, db: 5 });
      const borrowed = new Cache({ backend: new RedisBackend({ client }) });
      await borrowed.set('k', 1);
      await borrowed.close();
      expect(await client.get('k')).to.equal('1');
      client.disconnect();
    });

    it('closes the client it created', async function () {
      const backend = new RedisBackend({ url });
      const owned = new Cache({ backend });
      await owned.set('k', 1);
      await owned.close();
      expect(backend.client.status).to.equal('end');
    });

    it('rejects a client that is not an ioredis client, and url with client', async function () {
      expect(() => new RedisBackend({ client: {} as never })).to.throw(TypeError, /client/);
      const client = new Redis({ lazyConnect: true });
      expect(() => new RedisBackend({ client, url })).to.throw(ConfigError);
      client.disconnect();
    });
  });

  describe('URLs against real servers', function () {
    it("the SPEC's URL: redis://…/db?namespace=app&ttl=60s&serializer=msgpack", async function () {
      const packed = Cache.fromUrl(`${url}?namespace=app&ttl=60s&serializer=msgpack`);
      try {
        const writtenAt = Date.now();
        await packed.set('when', { at: new Date(0), tags: new Set(['a']) });
        expect(await packed.get('when')).to.deep.equal({ at: new Date(0), tags: new Set(['a']) });
        await expectPttl(admin, 'app:when', 60_000, writtenAt);
        expect(decodeMsgpack((await admin.getBuffer('app:when'))!)).to.have.property('at');
      } finally {
        await packed.close();
      }
    });

    it('a registry alias in object form: redis backend, signed msgpack, a plugin, safe mode', async function () {
      const registry = new CacheRegistry();
      const { logger, records } = recordingLogger();
      registry.setLogger(logger);
      registry.setConfig({
        app: {
          backend: { type: 'redis', url, scanCount: 50 },
          serializer: {
            type: 'msgpack',
            secret: 'registry-secret-0123456789',
            compress: 'gzip',
            compressThreshold: 0,
          },
          namespace: 'reg',
          ttl: '2m',
          safe: true,
          plugins: ['hit-miss-ratio'],
        },
      });
      const cache = registry.get('app');
      try {
        const writtenAt = Date.now();
        await cache.set('k', { n: 1 });
        expect(await cache.get('k')).to.deep.equal({ n: 1 });
        expect(await cache.get('missing')).to.equal(undefined);
        const stored = (await admin.getBuffer('reg:k'))!;
        expect([...stored.subarray(0, 4)]).to.deep.equal([0x4c, 0x44, 1, 0b101]); // envelope: gzip + signed
        await expectPttl(admin, 'reg:k', 120_000, writtenAt);
        expect((cache.plugins[0] as HitMissRatioPlugin).stats()).to.include({ hits: 1, misses: 1 });
        stored[stored.length - 1]! ^= 1;
        await admin.set('reg:k', stored);
        expect(await cache.get('k')).to.equal(undefined); // tampered: a miss in safe mode
        expect(records.some((r) => r.level === 40 && /safe mode/.test(String(r.msg)))).to.equal(true);
      } finally {
        await registry.closeAll();
      }
    });

    it('redis+unix:// with a db', async function () {
      const viaSocket = Cache.fromUrl(`redis+unix://${(await sharedRedis()).socketPath}?db=5&namespace=sock`);
      await viaSocket.set('k', 'v');
      expect(await admin.get('sock:k')).to.equal('"v"');
      await viaSocket.close();
    });

    it('rediss:// to a TLS-only server', async function () {
      const tlsServer = await RedisServer.start({ tls: true });
      try {
        const insecure = Cache.fromUrl(
          `rediss://127.0.0.1:${tlsServer.port}?tlsRejectUnauthorized=false&timeout=5s`,
        );
        await insecure.set('k', 'over tls');
        expect(await insecure.get('k')).to.equal('over tls');
        await insecure.close();
        const { readFileSync } = await import('node:fs');
        const verified = new Cache({
          backend: new RedisBackend({
            url: `rediss://localhost:${tlsServer.port}`,
            tls: { ca: readFileSync(tlsServer.caCertPath!), servername: 'localhost' },
          }),
        });
        expect(await verified.get('k')).to.equal('over tls');
        await verified.close();
      } finally {
        await tlsServer.stop();
      }
    });

    it('redis+sentinel:// finds the master through a Sentinel', async function () {
      const master = await RedisServer.start();
      const sentinel = await RedisServer.start({ sentinelFor: master.port });
      try {
        const viaSentinel = Cache.fromUrl(
          `redis+sentinel://127.0.0.1:${sentinel.port}/mymaster/4?namespace=s`,
        );
        await viaSentinel.set('k', 'found');
        const direct = new Redis({ port: master.port, db: 4 });
        expect(await direct.get('s:k')).to.equal('"found"');
        direct.disconnect();
        await viaSentinel.close();
      } finally {
        await sentinel.stop();
        await master.stop();
      }
    });
  });

  describe('on a 3-master cluster', function () {
    let cluster: Cache;
    let nodes: Redis[];

    before(async function () {
      const servers = await sharedCluster();
      nodes = servers.nodes.map((node) => new Redis({ port: node.port }));
    });

    beforeEach(async function () {
      cluster = Cache.fromUrl(`${(await sharedCluster()).url}?namespace=spread`);
    });

    afterEach(async function () {
      await cluster.close();
    });

    after(function () {
      nodes.forEach((node) => node.disconnect());
    });

    it('spreads keys over every master and clears them all with SCAN on each', async function () {
      const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
      await cluster.multiSet(
        keys.map((key) => [key, key] as [string, string]),
        { ttl: '1m' },
      );
      const perNode = await Promise.all(nodes.map(async (node) => (await node.keys('spread:*')).length));
      expect(
        perNode.every((count) => count > 0),
        `keys per node: ${perNode.join(', ')}`,
      ).to.equal(true);
      expect(await cluster.multiGet(keys)).to.deep.equal(keys);
      expect(await cluster.multiDelete(keys.slice(0, 100))).to.equal(100);
      // k0…k99 are gone, so k1* now matches exactly k100…k199.
      expect(await cluster.deletePattern('k1*')).to.equal(100);
      await cluster.clear();
      // Only this namespace is gone (other tests share the cluster).
      expect(await Promise.all(nodes.map((node) => node.keys('spread:*')))).to.deep.equal([[], [], []]);
    });

    it('computes the same hash slot as Redis, hash tags included', async function () {
      const samples = [
        '',
        'a',
        'foo',
        'user:1000',
        '{user1000}.following',
        '{}x',
        'a{}{b}',
        'é漢字',
        'x'.repeat(300),
      ];
      for (let i = 0; i < 200; i++) samples.push(`key:${i}:${Math.random().toString(36)}`);
      const slots = await Promise.all(samples.map((key) => nodes[0]!.cluster('KEYSLOT', key)));
      expect(samples.map(keySlot)).to.deep.equal(slots);
    });
  });
});
