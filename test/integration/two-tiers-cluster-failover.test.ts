import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Cache, RedisBackend } from '../../lib/index.js';
import { keySlot } from '../../lib/index.js';
import { busChannel } from '../../lib/tiers/bus.js';
import { eventually } from '../support/eventually.js';
import { liveL1Cache } from '../support/own-redis.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisCluster, RedisServer } from '../support/redis-server.js';

// A Cluster of its own whose master owning the bus channel's slot fails over to a replica: the
// subscriber's shard channel is gone with its master's role, which is a gap. The L1 expires what
// it held, subscribes on the new master, and hears writes there.
describe('the bus on a Cluster when the master of its channel fails over', function () {
  this.timeout(90_000);
  let cluster: RedisCluster;
  let extra: RedisServer;
  const plain: Redis[] = [];
  const open: Cache[] = [];
  const node = (port: number): Redis => {
    const redis = new Redis({ host: '127.0.0.1', port });
    plain.push(redis);
    return redis;
  };

  before(async () => {
    [cluster, extra] = await Promise.all([RedisCluster.start(3), RedisServer.start({ clusterNode: true })]);
  });
  after(async () => {
    await Promise.all(open.map((cache) => cache.close()));
    plain.forEach((redis) => redis.disconnect());
    await Promise.all([cluster.stop(), extra.stop()]);
  });

  it('expires the L1 at the failover, and hears writes through the new master', async function () {
    const logger = recordingLogger().logger;
    const make = (): Promise<Cache<string>> => liveL1Cache(cluster.url, 'failing', logger, open);
    const [a, b] = [await make(), await make()];
    await b.set('k', 'v1');
    await eventually('filled', async () => (await b.get('k'), b.peek('k') === 'v1'));

    // The master that owns the channel's slot gets a replica, which then takes over.
    const slot = keySlot(busChannel((a.backend as RedisBackend).client, 'failing'));
    const first = node(cluster.nodes[0]!.port);
    const slots = (await first.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
    const ownerPort = slots.find(([from, to]) => from <= slot && slot <= to)![2][1];
    const owner = node(ownerPort);
    const replica = node(extra.port);
    const ownerId = (await owner.cluster('MYID')) as string;
    await owner.cluster('MEET', '127.0.0.1', extra.port);
    await eventually('the new node joins', async () =>
      ((await replica.cluster('NODES')) as string).includes(ownerId),
    );
    await replica.cluster('REPLICATE', ownerId);
    await eventually('the replica syncs', async () =>
      (await replica.info('replication')).includes('master_link_status:up'),
    );
    await replica.cluster('FAILOVER');
    await eventually('the failover', async () => (await replica.info('replication')).includes('role:master'));

    await eventually('the L1 filled before the failover is expired', () => b.peek('k') === undefined, 30_000);
    await eventually('live again', () => b.coherence === 'live', 30_000);
    await eventually('filled again', async () => (await b.get('k'), b.peek('k') === 'v1'), 30_000);
    await a.set('k', 'v2');
    await eventually('B hears the write through the new master', () => b.peek('k') === undefined, 30_000);
    expect(await b.get('k')).to.equal('v2');
  });
});
