import { expect } from 'chai';
import { Cache, RedisBackend, type CacheOptions } from '../../lib/index.js';
import { RETRY_QUEUE_LIMIT } from '../../lib/tiers/bus.js';
import { eventually } from '../support/eventually.js';
import { ownRedis } from '../support/own-redis.js';
import { recordingLogger } from '../support/recording-logger.js';

// The L1 under faults, with real parts: a server of its own, a TCP proxy in front of it for the
// cache under test (B), and a writer (A) connected straight to the server.
describe('two tiers under faults', function () {
  this.timeout(60_000);
  const redis = ownRedis({ proxied: true });
  const open = redis.open;
  let count = 0;

  async function l1Cache<V>(port: number, namespace: string, options: CacheOptions = {}): Promise<Cache<V>> {
    const logger = recordingLogger().logger;
    const cache = new Cache<V>({
      backend:
        options.backend ??
        new RedisBackend({ url: `redis://127.0.0.1:${port}`, maxRetriesPerRequest: 1, logger }),
      namespace,
      l1: true,
      timeout: 1_000,
      logger,
      ...options,
    });
    open.push(cache as Cache);
    await eventually('the L1 is live', () => cache.coherence === 'live');
    return cache;
  }

  // A writer straight to the server, and B (with an L1) through the proxy.
  async function writerAndReader(
    options: CacheOptions = {},
  ): Promise<[Cache<string>, Cache<string>, string]> {
    const namespace = `faults-${++count}`;
    return [
      await l1Cache<string>(redis.server.port, namespace, options),
      await l1Cache<string>(redis.proxy.port, namespace, options),
      namespace,
    ];
  }

  it('never fills the L1 with a reply that an invalidation overtook (the read-versus-invalidate race)', async function () {
    const [a, b, namespace] = await writerAndReader();
    await redis.admin.mset(`${namespace}:k`, '"v1"', `${namespace}:probe`, '"p"');
    await eventually('probe filled', async () => (await b.get('probe'), b.peek('probe') === 'p'));
    // B misses and reads; the server has answered v1, but the reply is held on the way.
    const held = redis.proxy.holdReplyTo('pttl');
    const read = b.get('k');
    const release = await held;
    // Meanwhile A writes v2, then the probe; B's subscriber (another connection, not held) hears
    // both, in order, so once the probe is gone from B's L1 it has heard of k too.
    await a.set('k', 'v2');
    await a.set('probe', 'q');
    await eventually('B has heard the invalidation', () => b.peek('probe') === undefined);
    release();
    expect(await read, 'the slow read answers what it read').to.equal('v1');
    expect(b.peek('k'), 'but does not fill the L1 with it').to.equal(undefined);
    expect(await b.get('k')).to.equal('v2');
  });

  it('is degraded while its subscriber is cut off, and expires what it held when it is back', async function () {
    const [a, b, namespace] = await writerAndReader();
    await redis.admin.set(`${namespace}:k`, '"v1"');
    await eventually('filled', async () => (await b.get('k'), b.peek('k') === 'v1'));
    redis.proxy.blackhole();
    redis.proxy.resetAll();
    await eventually('degraded', () => b.coherence === 'degraded');
    expect(b.peek('k'), 'not served as fresh in a gap').to.equal(undefined);
    // A write in the gap, whose message B cannot hear.
    await a.set('k', 'v2');
    redis.proxy.heal();
    await eventually('live again', () => b.coherence === 'live', 20_000);
    expect(b.peek('k'), 'filled before the gap: expired').to.equal(undefined);
    expect(await b.get('k')).to.equal('v2');
  });

  it('finds a silent break with its health-check PING within a few seconds', async function () {
    const [a, b, namespace] = await writerAndReader({ invalidation: { type: 'bus', healthCheck: 200 } });
    await redis.admin.set(`${namespace}:k`, '"v1"');
    await eventually('filled', async () => (await b.get('k'), b.peek('k') === 'v1'));
    // Black-holed: no FIN, no RST, the sockets stay open and simply go quiet.
    redis.proxy.blackhole();
    await eventually('the break is found', () => b.coherence === 'degraded', 5_000);
    await a.set('k', 'v2');
    redis.proxy.heal();
    // The data connection lost what was sent into the hole; fresh connections start clean.
    redis.proxy.resetAll();
    await eventually('live again', () => b.coherence === 'live', 20_000);
    expect(b.peek('k')).to.equal(undefined);
    expect(await b.get('k')).to.equal('v2');
  });

  it('resubscribes after CLIENT KILL TYPE pubsub during writes, and serves nothing older than them', async function () {
    const [a, b] = await writerAndReader();
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await a.multiSet(keys.map((key) => [key, 'old'] as const));
    await eventually(
      'filled',
      async () => (await b.multiGet(keys), keys.every((key) => b.peek(key) === 'old')),
    );
    const writes = (async () => {
      for (const key of keys) await a.set(key, 'new');
    })();
    await redis.admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await writes;
    await eventually('live', () => b.coherence === 'live');
    await eventually('no old value served', () => keys.every((key) => b.peek(key) !== 'old'));
    expect(await b.multiGet(keys)).to.deep.equal(keys.map(() => 'new'));
  });

  it('retries failed publishes from its queue, and sends one whole-namespace expiry on overflow', async function () {
    // A writer whose user may write but not publish, until the test allows it again.
    const user = `writer${++count}`;
    await redis.admin.acl('SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-publish');
    const namespace = `faults-${count}`;
    const b = await l1Cache<string>(redis.server.port, namespace);
    const a = await l1Cache<string>(redis.server.port, namespace, {
      backend: new RedisBackend({ url: `redis://${user}:pw@127.0.0.1:${redis.server.port}` }),
    });
    await redis.admin.mset(`${namespace}:k`, '"v1"', `${namespace}:untouched`, '"u"');
    await eventually('filled', async () => {
      await b.multiGet(['k', 'untouched']);
      return b.peek('k') === 'v1' && b.peek('untouched') === 'u';
    });
    await a.set('k', 'v2');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.peek('k'), 'the publish was refused').to.equal('v1');
    await redis.admin.acl('SETUSER', user, '+publish');
    await eventually('the queued publish arrives', () => b.peek('k') === undefined);
    expect(b.peek('untouched')).to.equal('u');

    // More keys than the queue holds: one whole-namespace expiry instead.
    await redis.admin.acl('SETUSER', user, '-publish');
    await a.multiSet(Array.from({ length: RETRY_QUEUE_LIMIT + 1 }, (_, i) => [`many${i}`, 'x'] as const));
    await redis.admin.acl('SETUSER', user, '+publish');
    await eventually('the whole namespace expired', () => b.peek('untouched') === undefined);
    await redis.admin.acl('DELUSER', user);
  });
});
