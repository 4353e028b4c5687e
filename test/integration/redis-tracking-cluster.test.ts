import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { keySlot } from '../../lib/backends/redis/slot.js';
import { trackingSource } from '../../lib/backends/redis/tracking.js';
import type { InvalidationSource } from '../../lib/tiers/invalidation.js';
import { RecordingSink } from '../support/recording-sink.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisCluster, RedisServer } from '../support/redis-server.js';
import { sharedCluster } from '../support/redis-fixtures.js';
import { Cache, RedisBackend } from '../../lib/index.js';

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// A Cluster of its own (one of its masters fails over): one tracking connection per master, and a
// change of master expires everything and tracks the new one.
describe('Redis tracking on a Cluster', function () {
  this.timeout(90_000);
  let cluster: RedisCluster;
  let extra: RedisServer;
  let client: Cluster;
  let source: InvalidationSource;
  const sink = new RecordingSink();
  const plain: Redis[] = [];
  const node = (port: number): Redis => {
    const redis = new Redis({ host: '127.0.0.1', port });
    plain.push(redis);
    return redis;
  };
  // Tracking connections on one node (flag t in CLIENT LIST).
  const trackingOn = async (redis: Redis): Promise<number> =>
    ((await redis.client('LIST')) as string).split('\n').filter((line) => /\bflags=\S*t/.test(line)).length;

  before(async () => {
    [cluster, extra] = await Promise.all([RedisCluster.start(3), RedisServer.start({ clusterNode: true })]);
    client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }]);
    source = trackingSource({
      client,
      prefixes: ['app:'],
      channel: '',
      healthCheckMs: 200,
      logger: recordingLogger().logger,
    });
    await source.start(sink);
  });
  after(async () => {
    await source.close();
    client.disconnect();
    plain.forEach((redis) => redis.disconnect());
    await Promise.all([cluster.stop(), extra.stop()]);
  });

  it('tracks every master on a connection of its own, and hears writes to each', async () => {
    for (const master of cluster.nodes)
      expect(await trackingOn(node(master.port)), `${master.port}`).to.equal(1);
    const keys = Array.from({ length: 24 }, (_, i) => `app:${i}`);
    await Promise.all(keys.map((key) => client.set(key, 'v')));
    await sink.until((s) => keys.every((key) => s.expired.includes(key)), 'a write to every master');
    expect(sink.kinds[0]).to.equal('up');
  });

  it("reports one master's lost tracking connection as a gap of the whole, until it is back", async () => {
    const before = sink.events.length;
    await node(cluster.nodes[1]!.port).call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await sink.until(
      (s) => s.kinds.slice(before).includes('down') && s.kinds.at(-1) === 'up',
      'down, then up again',
    );
    const key = 'app:after-gap';
    await client.set(key, 'v');
    await sink.until((s) => s.expired.includes(key), 'a write after the gap');
  });

  it('after a failover, expires everything and tracks the new master', async () => {
    const old = node(cluster.nodes[0]!.port);
    const replica = node(extra.port);
    const oldId = (await old.cluster('MYID')) as string;
    await old.cluster('MEET', '127.0.0.1', extra.port);
    await until(
      async () => ((await replica.cluster('NODES')) as string).includes(oldId),
      'the new node to join',
    );
    await replica.cluster('REPLICATE', oldId);
    await until(
      async () => (await replica.info('replication')).includes('master_link_status:up'),
      'the replica to sync',
    );
    const before = sink.events.length;
    await replica.cluster('FAILOVER');
    await until(async () => (await replica.info('replication')).includes('role:master'), 'the failover');

    // Nothing this process sends tells it: the tracker finds the new slot map by itself.
    await sink.until((s) => s.events.slice(before).some((event) => event.type === 'expireAll'), 'expireAll');
    await until(async () => (await trackingOn(replica)) === 1, 'a tracking connection on the new master');
    await until(async () => (await trackingOn(old)) === 0, 'the old master left');
    // A key the new master serves, written straight to it.
    const ranges = await replica.cluster('SLOTS');
    const [start, end] = ranges.find((range) => range[2]?.[1] === extra.port)!;
    let key = 'app:moved:0';
    for (let i = 1; keySlot(key) < start || keySlot(key) > end; i++) key = `app:moved:${i}`;
    await replica.set(key, 'v');
    await sink.until((s) => s.expired.includes(key), 'a write to the new master');
  });
});

describe("a Cache with invalidation: 'tracking' on a Cluster", function () {
  this.timeout(60_000);

  it('stops serving entries that plain writes to their masters changed', async () => {
    const cluster = await sharedCluster();
    const cache = new Cache<string>({
      backend: new RedisBackend({ url: cluster.url }),
      namespace: `tracked-${process.pid}`,
      l1: true,
      invalidation: 'tracking',
    });
    const writer = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }]);
    try {
      await until(() => Promise.resolve(cache.coherence === 'live'), 'tracking live');
      // Keys on every master.
      const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
      await Promise.all(keys.map((key) => writer.set(`tracked-${process.pid}:${key}`, '"v1"')));
      await until(
        async () => (await cache.multiGet(keys), keys.every((key) => cache.peek(key) === 'v1')),
        'filled',
      );
      await Promise.all(keys.map((key) => writer.set(`tracked-${process.pid}:${key}`, '"v2"')));
      await until(
        () => Promise.resolve(keys.every((key) => cache.peek(key) !== 'v1')),
        'every entry expired',
      );
      expect(await cache.multiGet(keys)).to.deep.equal(keys.map(() => 'v2'));
    } finally {
      writer.disconnect();
      await cache.close();
    }
  });
});
