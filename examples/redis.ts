// larder on Redis: run with a server of yours, e.g.
//   REDIS_URL=redis://127.0.0.1:6379/0 npm run example:redis
// REDIS_URL may carry a password and parameters of its own (`?connectTimeout=2000`); the example
// adds its namespace and ttl to them.
import { Cache, CacheTimeoutError } from 'larder';

const base = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');

/** `base` with these query parameters set, and the ones it already had kept. */
function withParams(params: Record<string, string>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

// Host and port only: never the URL itself, which may hold a password.
const server = `${base.hostname}:${base.port || '6379'}`;
console.log('server          ->', server);

const cache = Cache.fromUrl<{ plan: string; seats: number }>(
  withParams({ namespace: 'example-redis', ttl: '1m' }),
);

try {
  await cache.clear(); // only this namespace's keys
  await cache.set('acme', { plan: 'pro', seats: 12 });
  console.log('get acme        ->', await cache.get('acme'));
  console.log('ttl acme        ->', (await cache.ttl('acme'))! > 0 ? 'about a minute' : 'none');

  // One MGET, one MULTI: each a single round trip.
  await cache.multiSet(
    { globex: { plan: 'free', seats: 1 }, initech: { plan: 'team', seats: 5 } },
    { ttl: '30s' },
  );
  console.log(
    'multiGet        ->',
    (await cache.multiGet(['acme', 'globex', 'nobody'])).map((v) => v?.plan),
  );

  const counters = Cache.fromUrl<number>(withParams({ namespace: 'example-redis-counters' }));
  await counters.delete('signups');
  await counters.increment('signups', 3);
  console.log('INCRBY          ->', await counters.increment('signups'));
  await counters.close();

  console.log('deletePattern   ->', await cache.deletePattern('*tech'), 'key removed (SCAN + UNLINK)');
  console.log('PING            ->', await cache.raw('PING'));
} catch (error) {
  if (error instanceof CacheTimeoutError) console.error(`Redis did not answer in time at ${server}`);
  throw error;
} finally {
  await cache.close();
}
