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
  const namespace = `routes-${randomUUID()}`;
  if (backend === 'memory') return new Cache({ backend: new MemoryBackend(), namespace });
  const { url } = await (server ??= RedisServer.start());
  return new Cache({ backend: new RedisBackend({ url }), namespace });
}

const parse = (body: string) => JSON.parse(body) as { route: string; n: number; extra: string };

for (const framework of ['fastify', 'express'] as Framework[]) {
  for (const backend of ['memory', 'redis'] as Backend[]) {
    describe(`route cache: ${framework} over ${backend}`, function () {
      this.timeout(30_000);
      let cache: Cache;
      let app: RouteApp;
      let now: number;
      const clock = { now: () => now };

      beforeEach(async function () {
        now = Date.UTC(2026, 11, 1);
        cache = await cacheOn(backend);
        app = await startApp(framework, { cache, clock });
      });

      afterEach(async function () {
        await app.close();
        await cache.clear();
        await cache.close();
      });

      it('runs a GET once, then replays status, headers and body (MISS, then HIT)', async function () {
        const first = await send(`${app.base}/counted?a=1`);
        const second = await send(`${app.base}/counted?a=1`);
        expect(first.headers['x-cache']).to.equal('MISS');
        expect(second.headers['x-cache']).to.equal('HIT');
        expect(second.status).to.equal(200);
        expect(second.body).to.equal(first.body);
        expect(second.headers['content-type']).to.equal(first.headers['content-type']);
        expect(second.headers['content-length']).to.equal(String(Buffer.byteLength(first.body)));
        expect(app.probe.calls.get('counted')).to.equal(1);
      });

      it('keys by the URL with its query, and by the route key function when given', async function () {
        await send(`${app.base}/counted?a=1`);
        expect((await send(`${app.base}/counted?a=2`)).headers['x-cache']).to.equal('MISS');
        expect(app.probe.calls.get('counted')).to.equal(2);
        await send(`${app.base}/keyed?id=7&noise=1`);
        const other = await send(`${app.base}/keyed?id=7&noise=2`);
        expect(other.headers['x-cache']).to.equal('HIT');
        expect(await cache.exists('route:keyed:7')).to.equal(true);
      });

      it('answers a HEAD from what a GET stored, without a body, and a cold HEAD runs the handler without storing', async function () {
        const head = await send(`${app.base}/counted`, { method: 'HEAD' });
        expect(head.headers['x-cache']).to.equal('MISS');
        expect(head.body).to.equal('');
        expect(await cache.exists('route:/counted')).to.equal(false);
        const get = await send(`${app.base}/counted`);
        expect(get.headers['x-cache']).to.equal('MISS');
        const again = await send(`${app.base}/counted`, { method: 'HEAD' });
        expect(again.status).to.equal(200);
        expect(again.headers['x-cache']).to.equal('HIT');
        expect(again.body).to.equal('');
        expect(again.headers['content-length']).to.equal(String(Buffer.byteLength(get.body)));
        expect(app.probe.calls.get('counted')).to.equal(2);
      });

      it('never caches other methods (BYPASS) and leaves the GET entry as it was', async function () {
        const get = await send(`${app.base}/counted`);
        const post = await send(`${app.base}/counted`, { method: 'POST' });
        const post2 = await send(`${app.base}/counted`, { method: 'POST' });
        expect([post.headers['x-cache'], post2.headers['x-cache']]).to.deep.equal(['BYPASS', 'BYPASS']);
        expect(parse(post2.body).n).to.equal(3);
        expect((await send(`${app.base}/counted`)).body).to.equal(get.body);
      });

      for (const route of ['cookie', 'private', 'no-store']) {
        it(`never stores a response with ${route === 'cookie' ? 'Set-Cookie' : `Cache-Control: ${route}`} (BYPASS every time)`, async function () {
          const answers = [await send(`${app.base}/${route}`), await send(`${app.base}/${route}`)];
          expect(answers.map((a) => a.headers['x-cache'])).to.deep.equal(['BYPASS', 'BYPASS']);
          expect(answers.map((a) => parse(a.body).n)).to.deep.equal([1, 2]);
          if (route === 'cookie')
            expect(answers[1]!.headers['set-cookie']).to.deep.equal(['session=2; HttpOnly']);
          expect(await cache.exists(`route:/${route}`)).to.equal(false);
        });
      }

      it("never hands one request's Set-Cookie response to concurrent requests: each runs the handler", async function () {
        let open!: () => void;
        app.probe.gate = new Promise<void>((resolve) => (open = resolve));
        const answers = Array.from({ length: 5 }, () => send(`${app.base}/cookie`));
        await until(
          '5 requests',
          () => app.probe.arrivals.get('cookie') === 5 && (app.probe.calls.get('cookie') ?? 0) >= 1,
        );
        open();
        const all = await Promise.all(answers);
        expect(all.map((a) => a.headers['x-cache'])).to.deep.equal(Array(5).fill('BYPASS'));
        const cookies = all.map((a) => a.headers['set-cookie']![0]);
        expect(new Set(cookies).size).to.equal(5);
        expect(all.map((a) => `session=${parse(a.body).n}; HttpOnly`)).to.deep.equal(cookies);
      });

      it('answers a handler that throws with its 500 (BYPASS), stores nothing, and shares no failure', async function () {
        let open!: () => void;
        app.probe.gate = new Promise<void>((resolve) => (open = resolve));
        const answers = Array.from({ length: 3 }, () => send(`${app.base}/throws`));
        await until(
          '3 requests',
          () => app.probe.arrivals.get('throws') === 3 && (app.probe.calls.get('throws') ?? 0) >= 1,
        );
        open();
        const all = await Promise.all(answers);
        expect(all.map((a) => [a.status, a.headers['x-cache']])).to.deep.equal(
          Array(3).fill([500, 'BYPASS']),
        );
        expect(app.probe.calls.get('throws')).to.equal(3);
        expect(await cache.exists('route:/throws')).to.equal(false);
      });

      it('never stores a non-2xx response, and stores the 2xx that follows', async function () {
        for (const status of [404, 500, 302]) {
          app.probe.status = status;
          const answer = await send(`${app.base}/status`);
          expect(answer.status).to.equal(status);
          expect(answer.headers['x-cache']).to.equal('BYPASS');
        }
        app.probe.status = 201;
        expect((await send(`${app.base}/status`)).headers['x-cache']).to.equal('MISS');
        const hit = await send(`${app.base}/status`);
        expect([hit.status, hit.headers['x-cache']]).to.deep.equal([201, 'HIT']);
        expect(app.probe.calls.get('status')).to.equal(4);
      });

      it('stores one variant per value of the request headers the response Varies on', async function () {
        const en = { 'accept-language': 'en' };
        const fr = { 'accept-language': 'fr' };
        const first = await send(`${app.base}/vary`, { headers: en });
        const french = await send(`${app.base}/vary`, { headers: fr });
        const again = await send(`${app.base}/vary`, { headers: en });
        const frAgain = await send(`${app.base}/vary`, { headers: fr });
        const none = await send(`${app.base}/vary`);
        expect([first, french, again, frAgain, none].map((a) => a.headers['x-cache'])).to.deep.equal([
          'MISS',
          'MISS',
          'HIT',
          'HIT',
          'MISS',
        ]);
        expect(parse(again.body).extra).to.equal('en');
        expect(parse(frAgain.body).extra).to.equal('fr');
        expect(parse(none.body).extra).to.equal('undefined');
        expect(again.headers.vary).to.equal('Accept-Language');
        expect(app.probe.calls.get('vary')).to.equal(3);
        // Dropping the URL's key drops every variant with it.
        expect(await cache.delete('route:/vary')).to.equal(1);
        const dropped = [
          await send(`${app.base}/vary`, { headers: fr }),
          await send(`${app.base}/vary`, { headers: en }),
        ];
        expect(dropped.map((a) => a.headers['x-cache'])).to.deep.equal(['MISS', 'MISS']);
        expect((await send(`${app.base}/vary`, { headers: en })).headers['x-cache']).to.equal('HIT');
      });

      it('stores a streamed response whole and replays it', async function () {
        const first = await send(`${app.base}/stream`);
        const second = await send(`${app.base}/stream`);
        expect(first.body).to.equal('part 1 of run 1\npart 2\npart 3\n');
        expect(second.body).to.equal(first.body);
        expect(second.headers['x-cache']).to.equal('HIT');
        expect(first.headers['x-cache']).to.equal('MISS');
        expect(second.headers['content-type']).to.match(/^text\/plain/);
        expect(app.probe.calls.get('stream')).to.equal(1);
      });

      it('runs the handler once for 50 concurrent cold requests (one MISS, 49 HIT)', async function () {
        let open!: () => void;
        app.probe.gate = new Promise<void>((resolve) => (open = resolve));
        const answers = Array.from({ length: 50 }, () => send(`${app.base}/gated`));
        // Every request has reached the server, and a run is held, before any may answer.
        await until(
          '50 requests',
          () => app.probe.arrivals.get('gated') === 50 && (app.probe.calls.get('gated') ?? 0) >= 1,
        );
        open();
        const all = await Promise.all(answers);
        expect(app.probe.calls.get('gated')).to.equal(1);
        expect(new Set(all.map((a) => a.body)).size).to.equal(1);
        const statuses = all.map((a) => a.headers['x-cache']);
        expect(statuses.filter((s) => s === 'MISS')).to.have.length(1);
        expect(statuses.filter((s) => s === 'HIT')).to.have.length(49);
      });

      it('serves a stale response at once while one request refreshes it (STALE, then HIT)', async function () {
        const first = await send(`${app.base}/stale`);
        expect(first.headers['x-cache']).to.equal('MISS');
        expect((await send(`${app.base}/stale`)).headers['x-cache']).to.equal('HIT');
        now += 11_000; // past the 10 s ttl, within the minute of staleTtl
        let open!: () => void;
        app.probe.gate = new Promise<void>((resolve) => (open = resolve));
        const refreshing = send(`${app.base}/stale`);
        await until('the refresh to start', () => app.probe.calls.get('stale') === 2);
        const meanwhile = await send(`${app.base}/stale`);
        expect(meanwhile.headers['x-cache']).to.equal('STALE');
        expect(meanwhile.body).to.equal(first.body);
        open();
        const refreshed = await refreshing;
        expect(refreshed.headers['x-cache']).to.equal('MISS');
        expect(parse(refreshed.body).n).to.equal(2);
        const after = await send(`${app.base}/stale`);
        expect([after.headers['x-cache'], after.body]).to.deep.equal(['HIT', refreshed.body]);
      });
    });
  }
}

for (const framework of ['fastify', 'express'] as Framework[]) {
  describe(`route cache: two ${framework} servers over one Redis, a stale response`, function () {
    this.timeout(30_000);

    for (const lock of [true, false]) {
      it(
        lock
          ? 'with lock, is refreshed by one server while the other serves it as STALE'
          : 'without lock, is refreshed by each server (the control that shows the lock at work)',
        async function () {
          let now = Date.UTC(2026, 11, 1);
          const clock = { now: () => now };
          const caches = [await cacheOn('redis'), undefined];
          caches[1] = new Cache({ backend: caches[0]!.backend, namespace: caches[0]!.namespace });
          const [a, b] = await Promise.all(
            caches.map((cache) => startApp(framework, { cache: cache!, clock, lock })),
          );
          try {
            expect((await send(`${a!.base}/stale`)).headers['x-cache']).to.equal('MISS');
            now += 11_000;
            let open!: () => void;
            a!.probe.gate = new Promise<void>((resolve) => (open = resolve));
            const refreshing = send(`${a!.base}/stale`);
            await until('the refresh to start', () => a!.probe.calls.get('stale') === 2);
            const other = await send(`${b!.base}/stale`);
            expect(other.headers['x-cache']).to.equal(lock ? 'STALE' : 'MISS');
            expect(b!.probe.calls.get('stale') ?? 0).to.equal(lock ? 0 : 1);
            open();
            expect((await refreshing).headers['x-cache']).to.equal('MISS');
            expect((await send(`${b!.base}/stale`)).headers['x-cache']).to.equal('HIT');
          } finally {
            await Promise.all([a!.close(), b!.close()]);
            await caches[0]!.clear();
            await Promise.all(caches.map((cache) => cache!.close()));
          }
        },
      );
    }
  });
}
