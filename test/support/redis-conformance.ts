import { once } from 'node:events';
import { RedisBackend, type RedisBackendOptions } from '../../lib/index.js';
import type { SuiteTime } from '../../lib/testing/index.js';

/**
 * How the conformance suites let time pass on Redis, which lives on real time: a ttl of one unit
 * (10 ms) is only checked after sleeping three, and keys that must stay have an hour, so a loaded
 * machine makes the suites slower but fails none of them.
 */
export const REDIS_TIME: SuiteTime = { unitMs: 10 };

/**
 * A backend over an emptied database, as the suites need one for each test. A Cluster client is
 * waited for first: until it has the slot map it knows no masters, so clear('') would reach none.
 */
export async function emptyRedisBackend(options: RedisBackendOptions): Promise<RedisBackend> {
  const backend = new RedisBackend(options);
  if (backend.isCluster && backend.client.status !== 'ready') await once(backend.client, 'ready');
  await backend.clear('');
  return backend;
}
