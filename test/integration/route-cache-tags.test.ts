import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Cache, MemoryBackend, RedisBackend } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { send, startApp, until, type Framework, type RouteApp } from '../support/route-apps.js';

type Backend = 'memory' | 'redis';

// A server of this file's own, so no other suite's FLUSHDB can reach these entries.
let server: Promise<RedisServer> | undefined;
after(async function () {
  await (await server)?.stop();
});

async function cacheOn(backend: Backend): Promise<Cache> {
  const namespace = `route-tags-${randomUUID()}`;
  if (backend === 'memory') return new Cache({ backend: new MemoryBackend(), namespace });
  const { url } = await (server ??= RedisServer.start());
  return new Cache({ backend: new RedisBackend({ url }), namespace });
}

const statusOf = (answer: { headers: Record<string, unknown> }) => answer.headers['x-cache'];

for (const framework of ['fastify', 'express'] as Framework[]) {
  for (const backend of ['memory', 'redis'] as Backend[]) {
    describe(`route cache tags: ${framework} over ${backend}`, function () {
      this.timeout(30_000);
      let cache: Cache;
      let app: RouteApp;

      beforeEach(async function () {
        cache = await cacheOn(backend);
        app = await startApp(framework, { cache });
      });

      afterEach(async function () {
        await app.close();
        await cache.clear();
        await cache.close();
      });

      it('invalidates a response by the tags its route made from the request and reply, and only those', async function () {
        const get = (id: number) => send(`${app.base}/tagged?id=${id}`);
        expect([statusOf(await get(1)), statusOf(await get(2)), statusOf(await get(1))]).to.deep.equal([
          'MISS',
          'MISS',
          'HIT',
        ]);
        expect(await cache.invalidateTags(['item:1'])).to.equal(1);
        expect([statusOf(await get(1)), statusOf(await get(2))]).to.deep.equal(['MISS', 'HIT']);
        await cache.invalidateTags(['status:200']);
        expect([statusOf(await get(1)), statusOf(await get(2))]).to.deep.equal(['MISS', 'MISS']);
        expect(app.probe.calls.get('tagged')).to.equal(5);
      });

      it('invalidates every Vary variant of a route with fixed tags at once', async function () {
        const get = (language: string) =>
          send(`${app.base}/tagged-fixed`, { headers: { 'accept-language': language } });
        await get('en');
        await get('fr');
        expect([statusOf(await get('en')), statusOf(await get('fr'))]).to.deep.equal(['HIT', 'HIT']);
        await cache.invalidateTags(['catalog']);
        expect([statusOf(await get('fr')), statusOf(await get('en'))]).to.deep.equal(['MISS', 'MISS']);
        expect([statusOf(await get('fr')), statusOf(await get('en'))]).to.deep.equal(['HIT', 'HIT']);
      });

      for (const route of ['tagged?id=1', 'tagged-fixed']) {
        it(`never serves a response whose handler ran across an invalidation of its tags (${route.replace(/\?.*/, '')})`, async function () {
          let open!: () => void;
          app.probe.gate = new Promise<void>((resolve) => (open = resolve));
          const name = route.replace(/\?.*/, '');
          const running = send(`${app.base}/${route}`);
          await until('the handler to run', () => app.probe.calls.get(name) === 1);
          await cache.invalidateTags(['catalog']);
          open();
          const answer = await running;
          expect(answer.status).to.equal(200);
          app.probe.gate = undefined;
          // Its caller got it; nobody is served it afterwards: the next request runs the handler.
          expect(statusOf(await send(`${app.base}/${route}`))).to.equal('MISS');
          expect(app.probe.calls.get(name)).to.equal(2);
          expect(statusOf(await send(`${app.base}/${route}`))).to.equal('HIT');
        });
      }
    });
  }
}
