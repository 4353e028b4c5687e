import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Cache, RedisBackend } from '../../lib/index.js';
import { keySlot } from '../../lib/index.js';
import { busChannel } from '../../lib/tiers/bus.js';
import { eventually } from '../support/eventually.js';
import { liveL1Cache } from '../support/own-redis.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisCluster } from '../support/redis-server.js';

// A Cluster of its own whose bus channel's slot is moved to another master (resharding): the
// server unsubscribes the shard channel's subscribers, which is a gap. The L1 expires what it
// held, follows the slot to its new master, and hears writes there.
describe('the bus on a Cluster when its channel’s slot moves', function () {
  this.timeout(60_000);
  let cluster: RedisCluster;
  let nodes: Redis[];
  const open: Cache[] = [];

  before(async () => {
    cluster = await RedisCluster.start(3);
    nodes = cluster.nodes.map((node) => new Redis({ port: node.port, host: '127.0.0.1' }));
  });
  after(async () => {
    await Promise.all(open.map((cache) => cache.close()));
    nodes.forEach((node) => node.disconnect());
    await cluster.stop();
  });

  it('expires the L1 at the move, and hears writes on the new master', async function () {
    const logger = recordingLogger().logger;
    const make = (): Promise<Cache<string>> => liveL1Cache(cluster.url, 'moving', logger, open);
    const [a, b] = [await make(), await make()];
    // Written by B itself, so that no message of the write can evict what B fills.
    await b.multiSet([
      ['k', 'v1'],
      ['other', 'o'],
    ]);
    await eventually('filled', async () => (await b.multiGet(['k', 'other']), b.peek('k') === 'v1'));

    const slot = keySlot(busChannel((a.backend as RedisBackend).client, 'moving'));
    const ids = await Promise.all(nodes.map((node) => node.call('CLUSTER', 'MYID') as Promise<string>));
    const slots = (await nodes[0]!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
    const ownerId = slots.find(([from, to]) => from <= slot && slot <= to)![2][2];
    const from = ids.indexOf(ownerId);
    const to = (from + 1) % nodes.length;
    await nodes[to]!.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids[from]!);
    await nodes[from]!.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids[to]!);
    // The channel's slot holds no keys of ours to move; the assignment moves it.
    for (const node of [nodes[to]!, nodes[from]!, ...nodes.filter((_, i) => i !== from && i !== to)]) {
      await node.call('CLUSTER', 'SETSLOT', slot, 'NODE', ids[to]!);
    }

    await eventually('the L1 filled before the move is expired', () => b.peek('k') === undefined, 20_000);
    await eventually('live again', () => b.coherence === 'live', 20_000);
    await eventually('filled again', async () => (await b.get('k'), b.peek('k') === 'v1'));
    await a.set('k', 'v2');
    await eventually('B hears the write through the new master', () => b.peek('k') === undefined, 20_000);
    expect(await b.get('k')).to.equal('v2');
  });
});
