import { RedisBackend } from '../../lib/index.js';
import { describeBackendConformance } from '../../lib/testing/index.js';
import { REDIS_TIME, emptyRedisBackend } from '../support/redis-conformance.js';
import { sharedCluster, sharedRedis } from '../support/redis-fixtures.js';

// The Backend-level suite over Redis: a single node, and a 3-master Cluster (multi-key commands
// split by hash slot, SCAN on every master). Each test gets a fresh backend over an emptied database.
const common = {
  probe: RedisBackend.prototype,
  time: REDIS_TIME,
  // ioredis is given strings or bytes; anything else is refused before a command is sent.
  unstorable: { not: 'a payload' },
};

describeBackendConformance('Redis (single node)', {
  ...common,
  makeBackend: async () => emptyRedisBackend({ url: `${(await sharedRedis()).url}/4` }),
});

describeBackendConformance('Redis Cluster (3 masters)', {
  ...common,
  makeBackend: async () => emptyRedisBackend({ url: (await sharedCluster()).url }),
});
