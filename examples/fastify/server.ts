// A Fastify server whose product route is cached by the larder plugin.
//   npm run example:fastify                    (in memory; PORT=3000 by default)
//   CACHE_URL='redis://127.0.0.1:6379/0?namespace=shop' npm run example:fastify
// Try: curl -i localhost:3000/products/42   (x-cache: MISS, then HIT)
import Fastify from 'fastify';
import { caches } from 'larder';
import { larderCache } from 'larder/fastify';

if (process.env.CACHE_URL) caches.setConfig({ default: process.env.CACHE_URL });

let loads = 0;

// The slow part: imagine a database query. Concurrent requests for one product share one run;
// later ones are replayed from the cache for 30 s, then served stale for a minute while one
// request refreshes it.
async function loadProduct(id: string) {
  loads++;
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { id, name: `Product ${id}`, load: loads, loadedAt: new Date().toISOString() };
}

const app = Fastify();
await app.register(larderCache, { cache: 'default' });

// Tagged with the product, so that an update can drop its page in every process at once.
app.get<{ Params: { id: string } }>(
  '/products/:id',
  {
    config: {
      cache: {
        ttl: '30s',
        staleTtl: '1m',
        tags: (request) => ['catalog', `product:${(request.params as { id: string }).id}`],
      },
    },
  },
  async (request) => loadProduct(request.params.id),
);

// Not cached: every answer carries a cookie, which belongs to one client (x-cache: BYPASS).
app.get('/cart', { config: { cache: { ttl: '30s' } } }, async (_request, reply) => {
  reply.header('set-cookie', 'cart=empty; HttpOnly');
  return { items: [] };
});

// The decorated cache, for the app's own use: here, to drop a product's cached page by its tag.
app.delete<{ Params: { id: string } }>('/products/:id/cache', async (request) => ({
  invalidated: await app.cache.invalidateTags([`product:${request.params.id}`]),
}));

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
console.log(`listening on http://127.0.0.1:${port} (cache: ${app.cache.backend.name})`);

const stop = (): void => {
  void app
    .close()
    .then(() => caches.closeAll())
    .then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
