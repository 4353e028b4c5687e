import { expect } from 'chai';
import { Redis } from 'ioredis';
import { BackendError, Cache, CacheTimeoutError, ConfigError, RedisBackend } from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedCluster, sharedRedis } from '../support/redis-fixtures.js';
import { freePort } from '../support/redis-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// Each case here once answered "done" without doing the work, or failed in words nobody could act
// on. All run against real redis-server processes.
describe('Redis at the edges', function () {
  this.timeout(30_000);
  const caches: Cache[] = [];
  const quietly = (options: ConstructorParameters<typeof Cache>[0]): Cache => {
    const cache = new Cache({ logger: recordingLogger().logger, ...options });
    caches.push(cache);
    return cache;
  };
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
  });

  describe('a fresh cache over a Cluster, whose first call walks the masters', () => {
    let admin: Redis[];
    before(async () => {
      admin = (await sharedCluster()).nodes.map((node) => new Redis({ port: node.port, host: '127.0.0.1' }));
    });
    after(() => admin.forEach((client) => client.disconnect()));

    const seed = async (namespace: string, count: number): Promise<void> => {
      const cache = quietly({ backend: new RedisBackend({ url: (await sharedCluster()).url }), namespace });
      for (let i = 0; i < count; i++) await cache.set(`k${i}`, i);
    };
    // One startup node, by host name, as people write it: until its name resolves and the slot map
    // loads, the client knows no master at all.
    const fresh = async (namespace: string): Promise<Cache> => {
      const url = `redis+cluster://localhost:${(await sharedCluster()).nodes[0]!.port}`;
      return quietly({ backend: new RedisBackend({ url, logger: recordingLogger().logger }), namespace });
    };
    const left = async (namespace: string): Promise<number> => {
      const counts = await Promise.all(
        admin.map(async (client) => (await client.keys(`${namespace}:*`)).length),
      );
      return counts.reduce((a, b) => a + b, 0);
    };

    it('clear() waits for the slot map and empties the namespace on every master', async () => {
      await seed('edges-clear', 12);
      expect(await left('edges-clear')).to.equal(12);
      const cache = await fresh('edges-clear');
      expect(await cache.clear()).to.equal(true);
      expect(await left('edges-clear')).to.equal(0);
    });

    it('deletePattern() counts what it removed, on its first call', async () => {
      await seed('edges-pattern', 10);
      expect(await (await fresh('edges-pattern')).deletePattern('k*')).to.equal(10);
      expect(await left('edges-pattern')).to.equal(0);
    });

    it('scan() lists every key, on its first call', async () => {
      await seed('edges-scan', 9);
      const keys: string[] = [];
      for await (const page of (await fresh('edges-scan')).scan('*')) keys.push(...page);
      expect(keys.sort()).to.deep.equal(Array.from({ length: 9 }, (_, i) => `k${i}`).sort());
      await (await fresh('edges-scan')).clear();
    });

    it('an unreachable cluster is an error, never true, 0 or no pages', async () => {
      const url = `redis+cluster://127.0.0.1:${await freePort()}`;
      const cache = quietly({
        backend: new RedisBackend({ url, logger: recordingLogger().logger }),
        namespace: 'edges-down',
        timeout: 300,
      });
      const failed = (error: unknown): boolean =>
        error instanceof CacheTimeoutError || error instanceof BackendError;
      expect(failed(await cache.clear().catch((error: unknown) => error))).to.equal(true);
      expect(failed(await cache.deletePattern('*').catch((error: unknown) => error))).to.equal(true);
      const walk = async (): Promise<unknown> => {
        for await (const page of cache.scan('*')) return page;
        return 'no pages';
      };
      expect(failed(await walk().catch((error: unknown) => error))).to.equal(true);
    });
  });

  it('a db index the server refuses (/99 on a 16-db server) is a ConfigError, and nothing lands in db 0', async () => {
    const server = await sharedRedis();
    const { logger, records } = recordingLogger();
    const cache = quietly({
      backend: new RedisBackend({ url: `${server.url}/99`, logger }),
      namespace: 'edges-db',
    });
    const error = await cache.set('k', 'v').catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).path).to.equal('url.db');
    expect((error as ConfigError).message).to.match(/database 99/);
    expect(await cache.get('k').catch((caught: unknown) => caught)).to.be.instanceOf(ConfigError);
    const db0 = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      expect(await db0.exists('edges-db:k')).to.equal(0);
    } finally {
      db0.disconnect();
    }
    expect(records.some((record) => record.level === 50 && /database 99/.test(String(record.msg)))).to.equal(
      true,
    );
  });

  it('ioredis keyPrefix is refused with a ConfigError that points to namespace', () => {
    expect(() => new RedisBackend({ keyPrefix: 'app:', lazyConnect: true })).to.throw(
      ConfigError,
      /namespace: 'app'/,
    );
    const client = new Redis({ keyPrefix: 'app:', lazyConnect: true, autoResendUnfulfilledCommands: false });
    try {
      expect(() => new RedisBackend({ client })).to.throw(ConfigError, /keyPrefix/);
    } finally {
      client.disconnect();
    }
  });

  it('a refused connection names its cause and address, not the retry limit, and logs it once', async () => {
    const port = await freePort();
    const { logger, records } = recordingLogger();
    const cache = quietly({
      backend: new RedisBackend({ url: `redis://127.0.0.1:${port}`, logger }),
      logger,
    });
    const error = await cache.get('k').catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(BackendError);
    expect((error as Error).message).to.contain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect((error as Error).message).not.to.match(/max retries/i);
    for (const record of records) {
      const err = record.err as { message?: string } | undefined;
      if (err?.message === undefined) continue;
      const times = err.message.split(`ECONNREFUSED 127.0.0.1:${port}`).length - 1;
      expect(times, err.message).to.be.at.most(1);
    }
  });

  describe('scan() against a server that stops answering', () => {
    let proxy: TcpProxy;
    beforeEach(async () => {
      proxy = await TcpProxy.start((await sharedRedis()).port);
    });
    afterEach(async () => {
      await Promise.all(caches.splice(0).map((cache) => cache.close()));
      await proxy.close();
    });
    const stalled = async (timeout: number): Promise<Cache> => {
      const backend = new RedisBackend({
        host: '127.0.0.1',
        port: proxy.port,
        logger: recordingLogger().logger,
      });
      const cache = quietly({ backend, namespace: 'edges-stall', timeout });
      await cache.get('warm-up');
      proxy.blackhole();
      return cache;
    };
    const firstPage = async (pages: AsyncIterable<string[]>): Promise<unknown> => {
      for await (const page of pages) return page;
      return 'no pages';
    };

    it('gives up at the time limit with CacheTimeoutError, page by page', async () => {
      const cache = await stalled(300);
      expect(await firstPage(cache.scan('*')).catch((error: unknown) => error)).to.be.instanceOf(
        CacheTimeoutError,
      );
    });

    it('gives up when its signal aborts', async () => {
      const cache = await stalled(60_000);
      const controller = new AbortController();
      const reason = new Error('the caller gave up');
      setTimeout(() => controller.abort(reason), 100);
      expect(
        await firstPage(cache.scan('*', { signal: controller.signal })).catch((error: unknown) => error),
      ).to.equal(reason);
    });
  });
});
