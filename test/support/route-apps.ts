// The same routes on a real Fastify and a real Express server, on an ephemeral loopback port, so
// one suite checks both adapters of the route cache with real HTTP requests.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import express from 'express';
import Fastify from 'fastify';
import type { Cache, Clock } from '../../lib/index.js';
import { cacheRoute } from '../../lib/integrations/express.js';
import { larderCache } from '../../lib/integrations/fastify.js';

export type Framework = 'fastify' | 'express';

/** What the routes count and how a test holds them back. */
export interface RouteProbe {
  /** Handler runs per route name. */
  readonly calls: Map<string, number>;
  /** Requests that reached the server, per route name (before the cache). */
  readonly arrivals: Map<string, number>;
  /** While set, the `gated` route's handler waits for it before answering. */
  gate: Promise<void> | undefined;
  /** The status the `status` route answers with. */
  status: number;
}

export interface RouteApp {
  readonly base: string;
  readonly probe: RouteProbe;
  close(): Promise<void>;
}

export interface RouteAppOptions {
  readonly cache: Cache;
  readonly clock?: Clock;
  readonly lock?: boolean;
}

const TTL = '1m';

// Each route: its name, the cache options beyond ttl, and what it answers (a count of its runs in
// the body, so a test can tell a replay from a run).
function bodyOf(name: string, n: number, extra = ''): string {
  return JSON.stringify({ route: name, n, extra });
}

function bump(probe: RouteProbe, map: 'calls' | 'arrivals', name: string): number {
  const n = (probe[map].get(name) ?? 0) + 1;
  probe[map].set(name, n);
  return n;
}

function newProbe(): RouteProbe {
  return { calls: new Map(), arrivals: new Map(), gate: undefined, status: 500 };
}

/** Starts the routes on a framework. */
export function startApp(framework: Framework, options: RouteAppOptions): Promise<RouteApp> {
  return framework === 'fastify' ? startFastify(options) : startExpress(options);
}

async function startFastify({ cache, clock, lock }: RouteAppOptions): Promise<RouteApp> {
  const probe = newProbe();
  const app = Fastify();
  await app.register(larderCache, { cache });
  const config = (extra: object = {}) => ({
    config: { cache: { ttl: TTL, ...(clock ? { clock } : {}), ...(lock ? { lock } : {}), ...extra } },
  });
  app.addHook('onRequest', async (request) => {
    bump(probe, 'arrivals', request.url.split('?')[0]!.slice(1));
  });
  app.get('/counted', config(), async (request) =>
    bodyOf('counted', bump(probe, 'calls', 'counted'), request.url),
  );
  app.post('/counted', config(), async () => bodyOf('counted', bump(probe, 'calls', 'counted')));
  app.get('/gated', config(), async () => {
    const n = bump(probe, 'calls', 'gated');
    await probe.gate;
    return bodyOf('gated', n);
  });
  app.get('/cookie', config(), async (_request, reply) => {
    const n = bump(probe, 'calls', 'cookie');
    await probe.gate;
    reply.header('set-cookie', `session=${n}; HttpOnly`);
    return bodyOf('cookie', n);
  });
  for (const directive of ['private', 'no-store']) {
    app.get(`/${directive}`, config(), async (_request, reply) => {
      reply.header('cache-control', `${directive}, max-age=60`);
      return bodyOf(directive, bump(probe, 'calls', directive));
    });
  }
  app.get('/throws', config(), async () => {
    bump(probe, 'calls', 'throws');
    await probe.gate;
    throw new Error('the handler failed');
  });
  app.get('/status', config(), async (_request, reply) => {
    reply.code(probe.status);
    return bodyOf('status', bump(probe, 'calls', 'status'));
  });
  app.get('/vary', config(), async (request, reply) => {
    reply.header('vary', 'Accept-Language');
    return bodyOf('vary', bump(probe, 'calls', 'vary'), String(request.headers['accept-language']));
  });
  app.get('/stream', config(), async (_request, reply) => {
    const n = bump(probe, 'calls', 'stream');
    reply.type('text/plain');
    return reply.send(Readable.from(chunksOf(n)));
  });
  app.get(
    '/keyed',
    config({ key: (request: { query: unknown }) => `keyed:${(request.query as { id: string }).id}` }),
    async () => bodyOf('keyed', bump(probe, 'calls', 'keyed')),
  );
  app.get('/stale', config({ ttl: '10s', staleTtl: '1m' }), async () => {
    const n = bump(probe, 'calls', 'stale');
    await probe.gate;
    return bodyOf('stale', n);
  });
  app.get(
    '/tagged',
    config({
      tags: (request: { query: unknown }, reply: { statusCode: number }) => [
        'catalog',
        `item:${(request.query as { id: string }).id}`,
        `status:${reply.statusCode}`,
      ],
    }),
    async () => {
      const n = bump(probe, 'calls', 'tagged');
      await probe.gate;
      return bodyOf('tagged', n);
    },
  );
  app.get('/tagged-fixed', config({ tags: ['catalog'] }), async (request, reply) => {
    const n = bump(probe, 'calls', 'tagged-fixed');
    await probe.gate;
    reply.header('vary', 'Accept-Language');
    return bodyOf('tagged-fixed', n, String(request.headers['accept-language']));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, probe, close: () => app.close() };
}

async function* chunksOf(n: number): AsyncGenerator<string> {
  yield `part 1 of run ${n}\n`;
  await new Promise((resolve) => setImmediate(resolve));
  yield 'part 2\n';
  await new Promise((resolve) => setImmediate(resolve));
  yield 'part 3\n';
}

async function startExpress({ cache, clock, lock }: RouteAppOptions): Promise<RouteApp> {
  const probe = newProbe();
  const app = express();
  const cached = (extra: object = {}) =>
    cacheRoute({ ttl: TTL, cache, ...(clock ? { clock } : {}), ...(lock ? { lock } : {}), ...extra });
  app.use((req, _res, next) => {
    bump(probe, 'arrivals', req.path.slice(1));
    next();
  });
  const json = (res: express.Response, body: string) => res.type('application/json').send(body);
  app.get('/counted', cached(), (req, res) =>
    json(res, bodyOf('counted', bump(probe, 'calls', 'counted'), req.originalUrl)),
  );
  app.post('/counted', cached(), (_req, res) =>
    json(res, bodyOf('counted', bump(probe, 'calls', 'counted'))),
  );
  app.get('/gated', cached(), async (_req, res) => {
    const n = bump(probe, 'calls', 'gated');
    await probe.gate;
    json(res, bodyOf('gated', n));
  });
  app.get('/cookie', cached(), async (_req, res) => {
    const n = bump(probe, 'calls', 'cookie');
    await probe.gate;
    res.setHeader('set-cookie', `session=${n}; HttpOnly`);
    json(res, bodyOf('cookie', n));
  });
  for (const directive of ['private', 'no-store']) {
    app.get(`/${directive}`, cached(), (_req, res) => {
      res.setHeader('cache-control', `${directive}, max-age=60`);
      json(res, bodyOf(directive, bump(probe, 'calls', directive)));
    });
  }
  app.get('/throws', cached(), async () => {
    bump(probe, 'calls', 'throws');
    await probe.gate;
    throw new Error('the handler failed');
  });
  app.get('/status', cached(), (_req, res) => {
    res.status(probe.status);
    json(res, bodyOf('status', bump(probe, 'calls', 'status')));
  });
  app.get('/vary', cached(), (req, res) => {
    res.setHeader('vary', 'Accept-Language');
    json(res, bodyOf('vary', bump(probe, 'calls', 'vary'), String(req.headers['accept-language'])));
  });
  app.get('/stream', cached(), async (_req, res) => {
    // Plain Node writes, as a streaming handler makes them: headers first, then chunks.
    const n = bump(probe, 'calls', 'stream');
    res.writeHead(200, { 'content-type': 'text/plain' });
    for await (const chunk of chunksOf(n)) res.write(chunk);
    res.end();
  });
  app.get('/keyed', cached({ key: (req: express.Request) => `keyed:${String(req.query.id)}` }), (_req, res) =>
    json(res, bodyOf('keyed', bump(probe, 'calls', 'keyed'))),
  );
  app.get('/stale', cached({ ttl: '10s', staleTtl: '1m' }), async (_req, res) => {
    const n = bump(probe, 'calls', 'stale');
    await probe.gate;
    json(res, bodyOf('stale', n));
  });
  app.get(
    '/tagged',
    cached({
      tags: (req: express.Request, res: express.Response) => [
        'catalog',
        `item:${String(req.query.id)}`,
        `status:${res.statusCode}`,
      ],
    }),
    async (_req, res) => {
      const n = bump(probe, 'calls', 'tagged');
      await probe.gate;
      json(res, bodyOf('tagged', n));
    },
  );
  app.get('/tagged-fixed', cached({ tags: ['catalog'] }), async (req, res) => {
    const n = bump(probe, 'calls', 'tagged-fixed');
    await probe.gate;
    res.setHeader('vary', 'Accept-Language');
    json(res, bodyOf('tagged-fixed', n, String(req.headers['accept-language'])));
  });
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: error.message });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    probe,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One real HTTP request on a connection of its own (no pool to limit concurrency). */
export function send(
  url: string,
  { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once `condition` holds, checking every few ms; fails after `timeoutMs`. */
export async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A product of the route examples (examples/express, examples/fastify): its load count shows reuse. */
interface Product {
  id: string;
  load: number;
}

/**
 * What the route examples answer alike: the product route cached (MISS, then HIT, HEAD a HIT),
 * a burst of cold requests loading once, and the cookie route bypassed.
 */
export async function checkProductRoutes(base: string): Promise<void> {
  const first = await send(`${base}/products/1`);
  const again = await send(`${base}/products/1`);
  expect([first.headers['x-cache'], again.headers['x-cache']]).to.deep.equal(['MISS', 'HIT']);
  expect(again.body).to.equal(first.body);
  const head = await send(`${base}/products/1`, { method: 'HEAD' });
  expect([head.status, head.headers['x-cache'], head.body]).to.deep.equal([200, 'HIT', '']);

  const burst = await Promise.all(Array.from({ length: 10 }, () => send(`${base}/products/2`)));
  expect(new Set(burst.map((answer) => (JSON.parse(answer.body) as Product).load))).to.deep.equal(
    new Set([(JSON.parse(first.body) as Product).load + 1]),
  );
  expect(burst.filter((answer) => answer.headers['x-cache'] === 'MISS')).to.have.length(1);

  const cart = [await send(`${base}/cart`), await send(`${base}/cart`)];
  expect(cart.map((answer) => answer.headers['x-cache'])).to.deep.equal(['BYPASS', 'BYPASS']);
  expect(cart[1]!.headers['set-cookie']).to.have.length(1);
}
