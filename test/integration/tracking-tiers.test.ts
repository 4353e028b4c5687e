import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Cache, RedisBackend } from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { spawnTs } from '../support/run.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const redisCli = promisify(execFile);

/** Calls per command since the last CONFIG RESETSTAT, the admin's own and health-check PINGs left out. */
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const [, name, count] of (await admin.info('commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+)/gm,
  )) {
    if (!/^(config|info|ping)\b/.test(name!)) calls[name!] = Number(count);
  }
  return calls;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// `invalidation: 'tracking'` end to end: a Cache's L1 in another process, and a write it never
// hears of from larder.
describe("Cache with l1 and invalidation: 'tracking'", function () {
  this.timeout(60_000);
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });
  after(async () => {
    await server.stop();
  });

  it("stops serving a value in another process's L1 once redis-cli overwrites it", async () => {
    await redisCli('redis-cli', ['-p', String(server.port), 'SET', 'two:k', '"v1"']);
    const other = spawnTs('test/fixtures/tracking-process.ts', [server.url, 'two']);
    try {
      expect(await other.nextLine()).to.equal('ready');
      other.send('fill k');
      expect(JSON.parse(await other.nextLine())).to.deep.equal({ value: 'v1', peek: 'v1' });
      other.send('watch k');
      expect(await other.nextLine()).to.equal('watching');
      await redisCli('redis-cli', ['-p', String(server.port), 'SET', 'two:k', '"v2"']);
      // When is for the latency benchmark to say (a loaded machine decides real time here).
      expect(await other.nextLine()).to.match(/^stopped \d+$/);
      other.send('fill k');
      expect(JSON.parse(await other.nextLine())).to.deep.equal({ value: 'v2', peek: 'v2' });
      other.send('exit');
      expect((await other.done).code).to.equal(0);
    } finally {
      other.kill();
    }
  });

  it('adds no command to a write, and an L1 hit sends nothing', async () => {
    const admin = new Redis({ host: '127.0.0.1', port: server.port });
    const cache = new Cache<string>({
      backend: new RedisBackend({ url: server.url }),
      namespace: 'counted',
      l1: true,
      invalidation: 'tracking',
    });
    try {
      await until(() => cache.coherence === 'live', 'tracking live');
      await admin.config('RESETSTAT');
      await cache.set('k', 'v');
      // The write's own invalidation expires the entry: the read after it goes to Redis once.
      for (let i = 0; i < 100 && cache.peek('k') === undefined; i++) {
        await cache.get('k');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(cache.peek('k')).to.equal('v');
      const before = await commandCalls(admin);
      for (let i = 0; i < 10; i++) expect(await cache.get('k')).to.equal('v');
      const after = await commandCalls(admin);
      expect(after, 'L1 hits').to.deep.equal(before);
      expect(after).to.not.have.any.keys('publish', 'spublish');
      expect(after.set, 'the one write').to.equal(1);
    } finally {
      await cache.close();
      admin.disconnect();
    }
  });

  // The own-write echo (docs/tracking.md, "Own writes"): in tracking mode Redis reports the cache's
  // own write to its tracking connection, which expires the entry the writer refilled meanwhile.
  // The listening connection's traffic is held at the proxy (from the reply to its next
  // health-check PING) while the writer writes and refills, so the echo comes after the refill.
  for (const [type, reads] of [
    ['tracking', 2],
    ['bus', 1],
  ] as const) {
    it(`costs the writer ${reads === 2 ? 'one extra read' : 'no extra read'} after its own write with invalidation '${type}'`, async () => {
      const admin = new Redis({ host: '127.0.0.1', port: server.port });
      const proxy = await TcpProxy.start(server.port);
      const namespace = `echo-${type}`;
      const options = { namespace, l1: true, invalidation: { type, healthCheck: '2s' } } as const;
      const cache = new Cache<string>({
        backend: new RedisBackend({ url: `redis://127.0.0.1:${proxy.port}` }),
        ...options,
      });
      const other = new Cache<string>({ backend: new RedisBackend({ url: server.url }), ...options });
      try {
        await until(() => cache.coherence === 'live' && other.coherence === 'live', 'both live');
        await cache.set('probe', 'p');
        for (let i = 0; i < 100 && cache.peek('probe') === undefined; i++) await cache.get('probe');
        expect(cache.peek('probe')).to.equal('p');
        const release = await proxy.holdReplyTo('ping');
        await admin.config('RESETSTAT');
        await cache.set('k', 'v');
        expect(await cache.get('k'), 'the refill after the write').to.equal('v');
        expect(cache.peek('k')).to.equal('v');
        release();
        // Another writer's later message arrives after the echo, on the same connection.
        await other.set('probe', 'q');
        await until(() => cache.peek('probe') === undefined, 'the later message heard');
        expect(cache.peek('k'), 'after the echo').to.equal(type === 'tracking' ? undefined : 'v');
        for (let i = 0; i < 10; i++) expect(await cache.get('k')).to.equal('v');
        expect(cache.peek('k')).to.equal('v');
        expect((await commandCalls(admin)).get, 'GETs after the write').to.equal(reads);
      } finally {
        await Promise.all([cache.close(), other.close()]);
        await proxy.close();
        admin.disconnect();
      }
    });
  }

  it('is degraded while its tracking connection is gone, and expires what it held once back', async () => {
    const admin = new Redis({ host: '127.0.0.1', port: server.port });
    const cache = new Cache<string>({
      backend: new RedisBackend({ url: server.url }),
      namespace: 'gap',
      l1: true,
      invalidation: 'tracking',
    });
    try {
      await until(() => cache.coherence === 'live', 'tracking live');
      await admin.set('gap:k', '"v1"');
      for (let i = 0; i < 100 && cache.peek('k') !== 'v1'; i++) await cache.get('k');
      expect(cache.peek('k')).to.equal('v1');
      const seen = new Set<string>();
      const watching = setInterval(() => seen.add(cache.coherence), 1);
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      // Written while no tracking connection listens: only the gap's expiry keeps it from being served.
      await admin.set('gap:k', '"v2"');
      await until(() => seen.has('degraded') && cache.coherence === 'live', 'degraded, then live');
      clearInterval(watching);
      expect(cache.peek('k')).to.not.equal('v1');
      expect(await cache.get('k')).to.equal('v2');
    } finally {
      await cache.close();
      admin.disconnect();
    }
  });

  it('never fills the L1 with a reply that a tracking invalidation overtook', async () => {
    const admin = new Redis({ host: '127.0.0.1', port: server.port });
    const proxy = await TcpProxy.start(server.port);
    // Through the proxy: its data connection, and its tracking connection (never held here).
    const cache = new Cache<string>({
      backend: new RedisBackend({ url: `redis://127.0.0.1:${proxy.port}` }),
      namespace: 'race',
      l1: true,
      invalidation: 'tracking',
    });
    try {
      await until(() => cache.coherence === 'live', 'tracking live');
      await admin.mset('race:k', '"v1"', 'race:probe', '"p"');
      for (let i = 0; i < 100 && cache.peek('probe') !== 'p'; i++) await cache.get('probe');
      // The cache misses and reads; the server answered v1, but the reply is held on the way.
      const held = proxy.holdReplyTo('pttl');
      const read = cache.get('k');
      const release = await held;
      // Meanwhile redis-cli writes v2, then the probe: Redis reports both, in order, so once the
      // probe is gone from the L1 the invalidation of k has been heard too.
      await redisCli('redis-cli', ['-p', String(server.port), 'SET', 'race:k', '"v2"']);
      await redisCli('redis-cli', ['-p', String(server.port), 'SET', 'race:probe', '"q"']);
      await until(() => cache.peek('probe') === undefined, 'the invalidations heard');
      release();
      expect(await read, 'the slow read answers what it read').to.equal('v1');
      expect(cache.peek('k'), 'but does not fill the L1 with it').to.equal(undefined);
      expect(await cache.get('k')).to.equal('v2');
    } finally {
      await cache.close();
      await proxy.close();
      admin.disconnect();
    }
  });

  it('is what a cache URL with ?invalidation=tracking builds', async () => {
    const cache = Cache.fromUrl<string>(`${server.url}?namespace=url&l1=100&l1Ttl=1m&invalidation=tracking`);
    try {
      await until(() => cache.coherence === 'live', 'tracking live');
      await redisCli('redis-cli', ['-p', String(server.port), 'SET', 'url:k', '"v1"']);
      for (let i = 0; i < 100 && cache.peek('k') !== 'v1'; i++) await cache.get('k');
      expect(cache.peek('k')).to.equal('v1');
      // Only tracking hears redis-cli.
      await redisCli('redis-cli', ['-p', String(server.port), 'SET', 'url:k', '"v2"']);
      await until(() => cache.peek('k') !== 'v1', 'the redis-cli write heard');
    } finally {
      await cache.close();
    }
  });

  it('falls back to the bus, with one warning, where an ACL denies CLIENT TRACKING', async () => {
    const admin = new Redis({ host: '127.0.0.1', port: server.port });
    await admin.call('ACL', 'SETUSER', 'bus-only', 'on', '>pw', '~*', '&*', '+@all', '-client|tracking');
    admin.disconnect();
    const { logger, records } = recordingLogger();
    const url = `redis://bus-only:pw@127.0.0.1:${server.port}`;
    const tracked = new Cache<string>({
      backend: new RedisBackend({ url, logger }),
      namespace: 'fallback',
      l1: true,
      invalidation: 'tracking',
      logger,
    });
    const writer = new Cache<string>({ backend: new RedisBackend({ url }), namespace: 'fallback', l1: true });
    try {
      await until(() => tracked.coherence === 'live' && writer.coherence === 'live', 'both caches live');
      await writer.set('k', 'v1');
      // A read that overlaps the bus message of that write may not fill the L1 (the race guard).
      for (let i = 0; i < 100 && tracked.peek('k') !== 'v1'; i++) {
        expect(await tracked.get('k')).to.equal('v1');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(tracked.peek('k')).to.equal('v1');
      // Told by the bus: the fallback works.
      await writer.set('k', 'v2');
      await until(() => tracked.peek('k') !== 'v1', 'the bus to expire the entry');
      expect(await tracked.get('k')).to.equal('v2');
      const warnings = records.filter((record) => record.level === 40 && /tracking/.test(String(record.msg)));
      expect(warnings, JSON.stringify(records)).to.have.lengthOf(1);
      expect(warnings[0]!.err).to.deep.include({ code: 'LARDER_INVALIDATION_REFUSED', kind: 'tracking' });
    } finally {
      await Promise.all([tracked.close(), writer.close()]);
    }
  });
});
