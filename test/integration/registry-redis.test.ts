import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import sinon from 'sinon';
import { Cache, CacheRegistry, MemoryBackend } from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedRedis } from '../support/redis-fixtures.js';
import { freePort } from '../support/redis-server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis aliases and URLs: what gets built', function () {
  this.timeout(30_000);
  let admin: Redis;
  let url: string;

  before(async function () {
    const server = await sharedRedis();
    url = `${server.url}/3`;
    admin = new Redis({ host: '127.0.0.1', port: server.port });
  });

  after(function () {
    admin.disconnect();
  });

  // Lines of CLIENT LIST, one per connection to the server.
  async function clients(): Promise<string[]> {
    const list = (await admin.client('LIST')) as string;
    return list.split('\n').filter((line) => line.trim() !== '');
  }

  it('caches.create(alias, { backend }) builds no Redis client for the alias, nor connects one', async function () {
    const name = `larder-probe-${process.pid}-${Date.now()}`;
    const registry = new CacheRegistry();
    registry.setConfig({
      sessions: { backend: { type: 'redis', url, connectionName: name }, namespace: 's' },
    });
    const connect = sinon.spy(Redis.prototype, 'connect');
    const clusterConnect = sinon.spy(Cluster.prototype, 'connect');

    const overridden = registry.create('sessions', { backend: new MemoryBackend() });
    expect(connect.callCount, 'Redis#connect calls').to.equal(0);
    expect(clusterConnect.callCount, 'Cluster#connect calls').to.equal(0);
    expect(overridden.backend).to.be.instanceOf(MemoryBackend);
    expect(overridden.namespace).to.equal('s');

    // The control: the alias' own backend does connect, under its connection name. Once it is
    // ready, a client built (and dropped) for the override above would be connected too.
    const own = registry.create('sessions');
    try {
      await own.set('k', 1);
      expect(connect.callCount).to.equal(1);
      const named = (await clients()).filter((line) => line.includes(` name=${name} `));
      expect(named, 'connections named after the alias').to.have.length(1);
    } finally {
      await Promise.all([own.close(), overridden.close()]);
    }
  });

  it('Cache.fromUrl(url, { backend }) builds no Redis client for the URL', async function () {
    const connect = sinon.spy(Redis.prototype, 'connect');
    const before = (await clients()).length;
    const overridden = Cache.fromUrl(`${url}?namespace=u`, { backend: new MemoryBackend() });
    expect(connect.callCount, 'Redis#connect calls').to.equal(0);
    expect(overridden.backend).to.be.instanceOf(MemoryBackend);
    expect(overridden.namespace).to.equal('u');

    const own = Cache.fromUrl(`${url}?namespace=u`);
    try {
      await own.set('k', 1);
      expect(connect.callCount).to.equal(1);
      expect(await clients(), 'connections: the admin and the control only').to.have.length(before + 1);
    } finally {
      await Promise.all([own.close(), overridden.close()]);
    }
  });

  it("Cache.fromUrl hands the logger of its overrides to the URL's Redis backend", async function () {
    const { logger, records } = recordingLogger();
    const down = Cache.fromUrl(`redis://127.0.0.1:${await freePort()}/0?timeout=200ms`, { logger });
    try {
      for (let waited = 0; waited < 5_000 && records.length === 0; waited += 50) await sleep(50);
      expect(records.some((r) => r.backend === 'redis' && /connection error/.test(String(r.msg)))).to.equal(
        true,
      );
    } finally {
      await down.close();
    }
  });

  it("a Redis backend built from a config logs through the registry's logger, bound to the alias", async function () {
    const { logger, records } = recordingLogger();
    const registry = new CacheRegistry();
    registry.setLogger(logger);
    registry.setConfig({
      down: { backend: { type: 'redis', url: `redis://127.0.0.1:${await freePort()}/0` } },
    });
    const down = registry.get('down');
    try {
      for (let waited = 0; waited < 5_000 && records.length === 0; waited += 50) await sleep(50);
      const warning = records.find((r) => r.backend === 'redis' && /connection error/.test(String(r.msg)));
      expect(warning, JSON.stringify(records)).to.include({ alias: 'down' });
    } finally {
      await down.close();
    }
  });
});
