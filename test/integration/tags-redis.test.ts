import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Cache, RedisBackend, RESERVED_KEY_PREFIX, cached, keySlot, multiCached } from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedCluster } from '../support/redis-fixtures.js';
import { RedisServer } from '../support/redis-server.js';
import { runTs } from '../support/run.js';

// Commands the server has run since the last CONFIG RESETSTAT (CONFIG and INFO left out).
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const calls: Record<string, number> = {};
  for (const [, name, count] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (!/^(config|info)\b/.test(name!)) calls[name!] = Number(count);
  }
  return calls;
}

function latch<T>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

// A server of this file's own: INFO commandstats counts every client's commands.
describe('tags on Redis', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let admin: Redis;
  const caches: Cache[] = [];
  const open = (namespace = 'shop'): Cache => {
    const logger = recordingLogger().logger;
    const cache = new Cache({ backend: new RedisBackend({ url: server.url, logger }), namespace, logger });
    caches.push(cache);
    return cache;
  };

  before(async function () {
    server = await RedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  after(async function () {
    await Promise.all(caches.map((cache) => cache.close()));
    admin.disconnect();
    await server.stop();
  });
  beforeEach(async function () {
    await admin.flushdb();
  });

  it('an invalidation through one client makes the entries miss through another, by every read', async function () {
    const writer = open();
    const reader = open();
    await writer.set('p1', { id: 1 }, { tags: ['product:1', 'catalog'] });
    await writer.set('p2', { id: 2 }, { tags: ['catalog'] });
    await writer.set('plain', 'x');
    expect(await reader.multiGet(['p1', 'p2', 'plain'])).to.deep.equal([{ id: 1 }, { id: 2 }, 'x']);
    expect(await writer.invalidateTags(['catalog'])).to.equal(1);
    expect(await reader.get('p1')).to.equal(undefined);
    expect(await reader.multiGet(['p1', 'p2', 'plain'])).to.deep.equal([undefined, undefined, 'x']);
    expect(await reader.exists('p2')).to.equal(false);
    expect(await reader.ttl('p2')).to.equal(undefined);
    let calls = 0;
    expect(await reader.getOrSet('p1', () => ++calls, { tags: ['catalog'] })).to.equal(1);
    expect(await reader.getOrSet('p1', () => ++calls, { tags: ['catalog'] })).to.equal(1);
  });

  it('another process invalidates, this one reads missing; and this one invalidates what another wrote', async function () {
    const cache = open('procs');
    await cache.set('k', 'v', { tags: ['t'] });
    const invalidated = await runTs('test/fixtures/tags-worker.ts', [
      server.url,
      'procs',
      'invalidate',
      't',
      'u',
    ]);
    expect(invalidated.code, invalidated.stderr).to.equal(0);
    expect(invalidated.stdout.trim()).to.equal('2');
    expect(await cache.get('k')).to.equal(undefined);

    const written = await runTs('test/fixtures/tags-worker.ts', [
      server.url,
      'procs',
      'set',
      'w',
      'theirs',
      't',
    ]);
    expect(written.code, written.stderr).to.equal(0);
    expect(await cache.get('w')).to.equal('theirs');
    await cache.invalidateTags(['t']);
    expect(await cache.get('w')).to.equal(undefined);
  });

  it('an invalidation is one command whatever the number of entries tagged (2,000 here)', async function () {
    const cache = open('cost');
    const entries = Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i] as [string, number]);
    await cache.multiSet(entries, { tags: ['bulk'] });
    expect(await cache.get('k1999')).to.equal(1999);
    await admin.config('RESETSTAT');
    expect(await cache.invalidateTags(['bulk'])).to.equal(1);
    expect(await commandCalls(admin)).to.deep.equal({ mset: 1 });
    expect(await cache.multiGet(['k0', 'k1999'])).to.deep.equal([undefined, undefined]);
  });

  it('a tagged hit reads its tags with one more command; an untagged hit sends only GET', async function () {
    const cache = open('trips');
    await cache.set('tagged', 1, { tags: ['a', 'b'] });
    await cache.set('plain', 1);
    await admin.config('RESETSTAT');
    expect(await cache.get('plain')).to.equal(1);
    expect(await commandCalls(admin)).to.deep.equal({ get: 1 });
    await admin.config('RESETSTAT');
    expect(await cache.get('tagged')).to.equal(1);
    expect(await commandCalls(admin)).to.deep.equal({ get: 1, mget: 1 });
  });

  it('deleting every tag key after an invalidation never brings the entries back', async function () {
    const cache = open('lost');
    await cache.set('k', 'v', { tags: ['t'] });
    await cache.invalidateTags(['t']);
    const keys = await admin.keys(`${RESERVED_KEY_PREFIX}tag:*`);
    expect(keys.length).to.be.greaterThan(0);
    await admin.del(...keys);
    expect(await cache.get('k')).to.equal(undefined);
    await cache.set('k2', 'v2', { tags: ['t'] });
    expect(await cache.get('k')).to.equal(undefined);
    expect(await cache.get('k2')).to.equal('v2');
    // Nor does losing them before any invalidation: the entries then miss.
    await admin.del(...(await admin.keys(`${RESERVED_KEY_PREFIX}tag:*`)));
    expect(await cache.get('k2')).to.equal(undefined);
  });

  it('a computation overlapping an invalidation from another client is returned but never served', async function () {
    const cache = open('race');
    const other = open('race');
    const gate = latch<string>();
    const load = cached(async (id: string) => gate.promise.then((v) => `${v} ${id}`), {
      cache,
      tags: (_result, id) => [`product:${id}`],
    });
    const first = cache.getOrSet('k', () => gate.promise, { tags: ['t'] });
    const second = load('1');
    // Both computations have started once their tags are read: poll the server until the
    // tag keys they created exist, rather than sleeping.
    for (let i = 0; (await admin.keys(`${RESERVED_KEY_PREFIX}tag:*`)).length < 2; i++) {
      if (i > 500) throw new Error('the computations never read their tags');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await other.invalidateTags(['t', 'product:1']);
    gate.open('old');
    expect(await first).to.equal('old');
    expect(await second).to.equal('old 1');
    expect(await other.get('k')).to.equal(undefined);
    expect(await other.exists(load.keyFor('1'))).to.equal(false);
  });

  it('with L1s over the bus: a tagged write drops the old value everywhere, and an invalidation reaches every L1', async function () {
    const logger = recordingLogger().logger;
    const two = (): Cache =>
      new Cache({
        backend: new RedisBackend({ url: server.url, logger }),
        namespace: 'tiers',
        logger,
        l1: true,
        invalidation: 'bus',
      });
    const a = two();
    const b = two();
    caches.push(a, b);
    const until = async (what: string, check: () => boolean | Promise<boolean>): Promise<void> => {
      for (let i = 0; !(await check()); i++) {
        if (i > 500) throw new Error(`never: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    for (const cache of [a, b]) await until('the bus is live', () => cache.coherence === 'live');
    await a.set('k', 'old');
    expect(await b.get('k')).to.equal('old'); // now in b's L1
    await a.set('k', 'tagged', { tags: ['t'] });
    // The write is published like any other: b's L1 drops the old value.
    await until('b drops the old value', () => b.peek('k') !== 'old');
    // Read again, the tagged entry is held in b's L1, with its tag's token (docs/tags.md).
    await until(
      'b holds the tagged entry',
      async () => (await b.get('k')) === 'tagged' && b.peek('k') === 'tagged',
    );
    await a.invalidateTags(['t']);
    // The invalidation is published: b's L1 drops the tag's token, and the entry misses.
    await until('b stops serving the entry', () => b.peek('k') === undefined);
    expect(await b.get('k')).to.equal(undefined);
  });

  it('multiCached with tags over Redis', async function () {
    const cache = open('batch');
    let calls = 0;
    const load = multiCached(async (ids: string[]) => ids.map((id) => `${id}#${++calls}`), {
      cache,
      tags: (_value, id) => [`item:${String(id)}`],
    });
    expect(await load(['a', 'b'])).to.deep.equal(['a#1', 'b#2']);
    expect(await load(['a', 'b'])).to.deep.equal(['a#1', 'b#2']);
    await cache.invalidateTags(['item:a']);
    expect(await load(['a', 'b'])).to.deep.equal(['a#3', 'b#2']);
  });
});

describe('tags on a Redis Cluster', function () {
  this.timeout(60_000);
  let cache: Cache;
  let other: Cache;

  before(async function () {
    const cluster = await sharedCluster();
    const logger = recordingLogger().logger;
    cache = new Cache({
      backend: new RedisBackend({ url: cluster.url, logger }),
      namespace: 'tags-cluster',
      logger,
    });
    other = new Cache({
      backend: new RedisBackend({ url: cluster.url, logger }),
      namespace: 'tags-cluster',
      logger,
    });
  });
  after(async function () {
    await Promise.all([cache.close(), other.close()]);
  });

  it('entries in many slots, tags in one: reads and invalidations work across masters', async function () {
    const keys = Array.from({ length: 12 }, (_, i) => `item-${i}`);
    expect(
      new Set(keys.map((key) => keySlot(cache.storedKey(key)))).size,
      'keys spread over slots',
    ).to.be.greaterThan(6);
    await cache.multiSet(
      keys.map((key, i) => [key, i] as const),
      { tags: ['all', 'cluster'] },
    );
    for (const [i, key] of keys.entries()) await cache.set(`solo-${key}`, i, { tags: [`solo:${i}`, 'all'] });
    expect(await other.multiGet(keys)).to.deep.equal(keys.map((_, i) => i));
    expect(await other.get('solo-item-3')).to.equal(3);
    expect(await cache.invalidateTags(['solo:3'])).to.equal(1);
    expect(await other.get('solo-item-3')).to.equal(undefined);
    expect(await other.get('solo-item-4')).to.equal(4);
    expect(await cache.invalidateTags(['all', 'solo:1', 'solo:2'])).to.equal(3);
    expect(await other.multiGet(keys)).to.deep.equal(keys.map(() => undefined));
    expect(await other.exists('solo-item-4')).to.equal(false);
    let calls = 0;
    const load = cached(async (id: string) => `${id}:${++calls}`, { cache: other, tags: ['all'] });
    expect(await load('x')).to.equal('x:1');
    expect(await load('x')).to.equal('x:1');
    await cache.invalidateTags(['all']);
    expect(await load('x')).to.equal('x:2');
  });
});

describe('tags on Redis: a read-through with fixed tags reads them beside the entry', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let admin: Redis;

  before(async function () {
    server = await RedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  after(async function () {
    admin.disconnect();
    await server.stop();
  });

  it('GET and MGET leave before either answers (one round trip), for cached() and getOrSet', async function () {
    const logger = recordingLogger().logger;
    const backend = new RedisBackend({ url: server.url, logger });
    const cache = new Cache({ backend, namespace: 'beside', logger });
    try {
      const load = cached(async (id: string) => `product ${id}`, { cache, tags: ['catalog'] });
      expect(await load('1')).to.equal('product 1');
      expect(await cache.getOrSet('g', () => 'got', { tags: ['catalog'] })).to.equal('got');
      // Record when each command is issued and when it answers.
      const events: string[] = [];
      const watch = <K extends 'get' | 'multiGet'>(method: K): void => {
        const original = backend[method].bind(backend) as (...args: unknown[]) => Promise<unknown>;
        (backend as unknown as Record<K, unknown>)[method] = (...args: unknown[]) => {
          events.push(`${method} sent`);
          return original(...args).then((answer) => {
            events.push(`${method} answered`);
            return answer;
          });
        };
      };
      watch('get');
      watch('multiGet');
      await admin.config('RESETSTAT');
      expect(await load('1')).to.equal('product 1');
      expect(events.slice(0, 2).sort()).to.deep.equal(['get sent', 'multiGet sent']);
      expect(await commandCalls(admin)).to.deep.equal({ get: 1, mget: 1 });
      events.length = 0;
      expect(await cache.getOrSet('g', () => 'again', { tags: ['catalog'] })).to.equal('got');
      expect(events.slice(0, 2).sort()).to.deep.equal(['get sent', 'multiGet sent']);
      // Still checked: after an invalidation both miss.
      await cache.invalidateTags(['catalog']);
      expect(await cache.getOrSet('g', () => 'again', { tags: ['catalog'] })).to.equal('again');
      let calls = 0;
      const counted = cached(async () => ++calls, { cache, tags: ['catalog'], key: 'counted' });
      expect(await counted()).to.equal(1);
      await cache.set('counted', 7, { tags: ['other'] });
      // An entry tagged otherwise than the read-through expects still has its own tags checked.
      expect(await counted()).to.equal(7);
      await cache.invalidateTags(['other']);
      expect(await counted()).to.equal(2);
    } finally {
      await cache.close();
    }
  });
});
