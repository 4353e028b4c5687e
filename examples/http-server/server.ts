// A small HTTP server whose slow handler is memoised with cached(), on the 'default' alias, with
// Prometheus metrics at /metrics.
//   npm run example:http-server                    (in memory; PORT=3000 by default)
//   CACHE_URL='redis://127.0.0.1:6379/0?namespace=http' npm run example:http-server
//   curl localhost:3000/metrics
// node:http is enough for one slow route, and keeps the example free of a framework to install.
import { createServer } from 'node:http';
import { cached, caches, detectCache, MetricsPlugin, PROMETHEUS_CONTENT_TYPE } from 'larder';

if (process.env.CACHE_URL) caches.setConfig({ default: process.env.CACHE_URL });

// The alias' config, with a metrics plugin of our own: its figures are labelled cache="default".
const metrics = new MetricsPlugin();
const cache = caches.create('default', { plugins: [metrics] });

let computations = 0;

// The slow part: imagine a database aggregate. Concurrent requests for one id share one run; later
// ones are answered from the cache for 30 s, then served stale for a minute while one refresh runs.
const buildReport = cached(
  async (id: string) => {
    computations++;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { id, total: id.length * 1_000, computation: computations, computedAt: new Date().toISOString() };
  },
  { cache, ttl: '30s', staleTtl: '1m' },
);

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const id = url.searchParams.get('id');
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
  if (url.pathname === '/report' && id) {
    // detectCache tells whether the answer came from the cache: x-cache says so to the client.
    detectCache(() => buildReport(id)).then(
      ({ result, hits }) => {
        const state = hits.length === 0 ? 'MISS' : hits.some((hit) => hit.stale) ? 'STALE' : 'HIT';
        reply(200, result, { 'x-cache': state });
      },
      (error: unknown) => reply(500, { error: (error as Error).message }),
    );
  } else if (url.pathname === '/invalidate' && id) {
    buildReport.invalidate(id).then((removed) => reply(200, { removed }));
  } else if (url.pathname === '/metrics') {
    response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
    response.end(metrics.toPrometheus());
  } else {
    reply(404, { error: 'try /report?id=42' });
  }
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  console.log(`listening on http://127.0.0.1:${port} (cache: ${cache.backend.name})`);
});

const stop = (): void => {
  server.close(() => void Promise.all([cache.close(), caches.closeAll()]).then(() => process.exit(0)));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
