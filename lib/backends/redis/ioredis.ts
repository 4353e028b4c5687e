import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';
import type { Cluster } from 'ioredis';
import type { Client } from './client.js';

let loaded: typeof IORedis | undefined;

/**
 * ioredis, loaded when the first Redis backend is built rather than when larder is imported: it
 * is about half of `import 'larder'` (some 45 ms of 95 on the machine docs/benchmarks.md names),
 * which a memory-only user should not pay. ioredis is a CommonJS package, so `require` gives the
 * very module an application's own `import { Redis } from 'ioredis'` gets, and `instanceof`
 * checks agree.
 */
export function ioredis(): typeof IORedis {
  return (loaded ??= createRequire(import.meta.url)('ioredis') as typeof IORedis);
}

/** Whether the client is a Redis Cluster client (else a single-node or Sentinel `Redis`). */
export function isCluster(client: Client): client is Cluster {
  return client instanceof ioredis().Cluster;
}
