import { Redis } from 'ioredis';
import { RedisBackend } from '../../lib/index.js';
import { describeCacheConformance } from '../../lib/testing/index.js';
import { REDIS_TIME, emptyRedisBackend } from '../support/redis-conformance.js';
import { sharedCluster, sharedRedis } from '../support/redis-fixtures.js';

// The Cache-level suite over Redis, reached every way a user can: TCP, a unix socket, without
// auto-pipelining, through the caller's own client, and a 3-master Cluster. Each test gets a
// fresh backend over an emptied database.
const userClients: Redis[] = [];
afterEach(function () {
  userClients.splice(0).forEach((client) => client.disconnect());
});

const common = { probe: RedisBackend.prototype, time: REDIS_TIME };

describeCacheConformance('Redis (single node, TCP)', {
  ...common,
  makeBackend: async () => emptyRedisBackend({ url: (await sharedRedis()).url }),
});

describeCacheConformance('Redis (unix socket)', {
  ...common,
  makeBackend: async () =>
    emptyRedisBackend({ url: `redis+unix://${(await sharedRedis()).socketPath}?db=1` }),
});

describeCacheConformance('Redis (without auto-pipelining)', {
  ...common,
  makeBackend: async () => emptyRedisBackend({ url: `${(await sharedRedis()).url}/2?autoPipelining=false` }),
});

describeCacheConformance("Redis (the caller's own client)", {
  ...common,
  makeBackend: async () => {
    const client = new Redis({ port: (await sharedRedis()).port, db: 3 });
    userClients.push(client);
    return emptyRedisBackend({ client });
  },
});

describeCacheConformance('Redis Cluster (3 masters)', {
  ...common,
  makeBackend: async () => emptyRedisBackend({ url: (await sharedCluster()).url }),
});
