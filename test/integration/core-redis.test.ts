import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Cache, LockTimeoutError, RedisBackend } from '../../lib/index.js';
import { sharedRedis } from '../support/redis-fixtures.js';
import { recordingLogger } from '../support/recording-logger.js';

describe('the core over a real Redis', function () {
  let url: string;
  let admin: Redis;

  before(async function () {
    const server = await sharedRedis();
    url = `${server.url}/9`;
    admin = new Redis({ port: server.port, db: 9 });
  });

  beforeEach(async function () {
    await admin.flushdb();
  });

  after(function () {
    admin.disconnect();
  });

  it('closing one of two caches over one RedisBackend never disconnects it under the other', async function () {
    const backend = new RedisBackend({ url, logger: recordingLogger().logger });
    const a = new Cache({ backend, namespace: 'a' });
    const b = new Cache({ backend, namespace: 'b' });
    await a.set('k', 1);
    await a.close();
    expect(backend.client.status).to.equal('ready');
    expect(await b.set('k', 2)).to.equal(true);
    expect(await b.get('k')).to.equal(2);
    await b.close();
    expect(['end', 'close']).to.include(backend.client.status);
  });

  it('refuses keys with a lone surrogate, which would collide as bytes, for reads and writes', async function () {
    const cache = new Cache({ backend: new RedisBackend({ url, logger: recordingLogger().logger }) });
    try {
      await cache.set('\uFFFD', 'replacement character');
      for (const key of ['\uD800', '\uDBFF']) {
        expect(await cache.get(key).catch((e: unknown) => e), key).to.be.instanceOf(TypeError);
        expect(await cache.set(key, 1).catch((e: unknown) => e), key).to.be.instanceOf(TypeError);
      }
      expect(await cache.get('\uFFFD')).to.equal('replacement character');
    } finally {
      await cache.close();
    }
  });

  it("keeps locks out of a namespace's clear, deletePattern and scan", async function () {
    const backend = new RedisBackend({ url, logger: recordingLogger().logger });
    const holder = new Cache({ backend, namespace: 'app' });
    const other = new Cache({ backend, namespace: 'app' });
    try {
      await holder.lock('job', { lease: '1m' });
      await other.set('x', 1);
      const seen: string[] = [];
      for await (const page of other.scan()) seen.push(...page);
      expect(seen).to.deep.equal(['x']);
      expect(await other.deletePattern('*')).to.equal(1);
      await other.clear();
      expect(await admin.keys('*')).to.deep.equal(['__larder:lock:app:job']);
      expect(await other.lock('job', { lease: '1m' }).catch((e: unknown) => e)).to.be.instanceOf(
        LockTimeoutError,
      );
    } finally {
      await Promise.all([holder.close(), other.close()]);
    }
  });
});
