import { caches } from 'larder';

/**
 * The example's caches, named once: `http` holds the responses Nest's CacheInterceptor stores
 * (through cache-manager and KeyvLarder), `users` the results of `@cached` on UsersService. Both
 * live in memory, or on Redis when `cacheUrl` (CACHE_URL) is given, each in a namespace of its own.
 */
export function configureCaches(cacheUrl = 'memory://'): void {
  const backend = cacheUrl.startsWith('memory:') ? { type: 'memory' } : { type: 'redis', url: cacheUrl };
  caches.setConfig({
    http: { backend, namespace: 'nest-http' },
    users: { backend, namespace: 'nest-users', ttl: '1m' },
  });
}
