import { expect } from 'chai';
import { Redis } from 'ioredis';
import { sharedCluster } from '../support/redis-fixtures.js';
import { runTs } from '../support/run.js';

describe('examples/cluster.ts', function () {
  this.timeout(60_000);

  it('runs against a real 3-master cluster, spreading keys over the masters', async function () {
    const cluster = await sharedCluster();
    // A URL with a query of its own: the example must append its namespace to it.
    const { code, stdout, stderr } = await runTs('examples/cluster.ts', [], {
      CLUSTER_URL: `${cluster.url}?scanCount=50`,
    });
    expect(code, stderr).to.equal(0);
    expect(stdout.trim().split('\n')).to.deep.equal([
      'multiGet        -> 12 of 12 found',
      'stock of sku-7  -> 70',
      'multiDelete     -> 4 removed',
      'deletePattern   -> 2 removed (sku-10, sku-11)',
      'keys left       -> 6',
    ]);
    // The six keys left sit on more than one master: the example really crossed slots. (The test
    // may use KEYS on its own throwaway cluster; larder never does.) Then tidy the shared cluster.
    const perNode = await Promise.all(
      cluster.nodes.map(async (node) => {
        const client = new Redis({ port: node.port });
        try {
          const keys = await client.keys('example-cluster:*');
          // One key at a time: a node's keys span several hash slots.
          for (const key of keys) await client.del(key);
          return keys.length;
        } finally {
          client.disconnect();
        }
      }),
    );
    expect(perNode.reduce((a, b) => a + b, 0)).to.equal(6);
    expect(perNode.filter((count) => count > 0).length).to.be.at.least(2);
  });
});
