import { Redis } from 'ioredis';
import { Cache, RedisBackend, type Backend } from '../../lib/index.js';
import { describeCacheBehaviour } from '../support/backend-conformance.js';
import { sharedCluster, sharedRedis } from '../support/redis-fixtures.js';

// One backend per test, emptied before use and shared by every cache the test builds.
let store: Promise<Backend> | undefined;
const userClients: Redis[] = [];
afterEach(function () {
  store = undefined;
  userClients.splice(0).forEach((client) => client.disconnect());
});

function freshStore(make: () => Promise<RedisBackend>): Promise<Backend> {
  return (store ??= make().then(async (backend) => {
    await backend.clear('');
    return backend;
  }));
}

describeCacheBehaviour(
  'Redis (single node, TCP)',
  async (options) =>
    new Cache({
      ...options,
      backend: await freshStore(async () => new RedisBackend({ url: (await sharedRedis()).url })),
    }),
);

describeCacheBehaviour(
  'Redis (unix socket)',
  async (options) =>
    new Cache({
      ...options,
      backend: await freshStore(
        async () => new RedisBackend({ url: `redis+unix://${(await sharedRedis()).socketPath}?db=1` }),
      ),
    }),
);

describeCacheBehaviour(
  'Redis (auto-pipelining)',
  async (options) =>
    new Cache({
      ...options,
      backend: await freshStore(
        async () => new RedisBackend({ url: `${(await sharedRedis()).url}/2?autoPipelining=false` }),
      ),
    }),
);

describeCacheBehaviour(
  "Redis (the caller's own client)",
  async (options) =>
    new Cache({
      ...options,
      backend: await freshStore(async () => {
        const client = new Redis({ port: (await sharedRedis()).port, db: 3 });
        userClients.push(client);
        return new RedisBackend({ client });
      }),
    }),
);

describeCacheBehaviour(
  'Redis Cluster (3 masters)',
  async (options) =>
    new Cache({
      ...options,
      backend: await freshStore(async () => new RedisBackend({ url: (await sharedCluster()).url })),
    }),
);
