import { RedisCluster, RedisServer } from './redis-server.js';

// Servers shared by the integration suites, started on first use (so a unit-only run starts none)
// and stopped once by mocha's global teardown. Fault tests start servers of their own.
let single: Promise<RedisServer> | undefined;
let cluster: Promise<RedisCluster> | undefined;

/** The shared single-node server (TCP and a unix socket). Tests must not stop or pause it. */
export function sharedRedis(): Promise<RedisServer> {
  return (single ??= RedisServer.start({ unixSocket: true }));
}

/** The shared 3-master cluster. Tests must not stop or pause it. */
export function sharedCluster(): Promise<RedisCluster> {
  return (cluster ??= RedisCluster.start(3));
}

export async function mochaGlobalTeardown(): Promise<void> {
  await Promise.all([
    single?.then((server) => server.stop()).catch(() => undefined),
    cluster?.then((servers) => servers.stop()).catch(() => undefined),
  ]);
}
