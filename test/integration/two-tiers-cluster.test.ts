import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Cache, RedisBackend } from '../../lib/index.js';
import { commandCalls, eventually } from '../support/eventually.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedCluster } from '../support/redis-fixtures.js';

// The bus on a Cluster: sharded pub/sub (SPUBLISH / SSUBSCRIBE on the master owning the channel's
// slot), so a message travels to one shard rather than to every node.
describe('two tiers on a Redis Cluster', function () {
  this.timeout(60_000);
  const open: Cache[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()));
  });

  it('invalidates across caches over sharded pub/sub', async function () {
    const cluster = await sharedCluster();
    const logger = recordingLogger().logger;
    const make = async (): Promise<Cache<string>> => {
      const cache = new Cache<string>({
        backend: new RedisBackend({ url: cluster.url, logger }),
        namespace: `cluster-tiers-${process.pid}`,
        l1: true,
        logger,
      });
      open.push(cache as Cache);
      await eventually('live', () => cache.coherence === 'live', 20_000);
      return cache;
    };
    const [a, b] = [await make(), await make()];
    const nodes = cluster.nodes.map((node) => new Redis({ port: node.port, host: '127.0.0.1' }));
    const sum = async (command: string): Promise<number> =>
      (await Promise.all(nodes.map(commandCalls))).reduce(
        (total, calls) => total + (calls.get(command) ?? 0),
        0,
      );
    const [spublished, published] = [await sum('spublish'), await sum('publish')];

    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    // Written by B itself, so that no late message of this write can evict what B fills next.
    await b.multiSet(keys.map((key) => [key, 'v1'] as const));
    await eventually(
      'filled',
      async () => (await b.multiGet(keys), keys.every((key) => b.peek(key) === 'v1')),
    );
    await a.set('c', 'v2');
    await a.delete('d');
    await eventually('dropped', () => b.peek('c') === undefined && b.peek('d') === undefined);
    expect(b.peek('a')).to.equal('v1');
    expect(await b.multiGet(['c', 'd'])).to.deep.equal(['v2', undefined]);
    expect(await sum('spublish')).to.be.above(spublished);
    expect(await sum('publish')).to.equal(published);
    nodes.forEach((node) => node.disconnect());
  });
});
