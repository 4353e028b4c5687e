// An Express server whose product route is cached by larder's cacheRoute() middleware.
//   npm run example:express                    (in memory; PORT=3000 by default)
//   CACHE_URL='redis://127.0.0.1:6379/0?namespace=shop' npm run example:express
// Try: curl -i localhost:3000/products/42   (x-cache: MISS, then HIT)
import express from 'express';
import { caches } from 'larder';
import { cacheRoute } from 'larder/express';

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

const app = express();

app.get('/products/:id', cacheRoute({ ttl: '30s', staleTtl: '1m' }), async (req, res) => {
  res.json(await loadProduct(String(req.params.id)));
});

// A streamed answer is cached whole, and replayed in one piece.
app.get('/catalog.csv', cacheRoute({ ttl: '5m' }), async (_req, res) => {
  res.type('text/csv');
  res.write('id,name\n');
  for (const id of ['1', '2', '3']) res.write(`${id},Product ${id}\n`);
  res.end();
});

// Not cached: every answer carries a cookie, which belongs to one client (x-cache: BYPASS).
app.get('/cart', cacheRoute({ ttl: '30s' }), (_req, res) => {
  res.cookie('cart', 'empty', { httpOnly: true }).json({ items: [] });
});

app.delete('/products/:id/cache', async (req, res) => {
  res.json({ removed: await caches.get().delete(`route:/products/${String(req.params.id)}`) });
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  console.log(`listening on http://127.0.0.1:${port} (cache: ${caches.get().backend.name})`);
});

const stop = (): void => {
  server.closeAllConnections();
  server.close(() => void caches.closeAll().then(() => process.exit(0)));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
