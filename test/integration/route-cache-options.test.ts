import { expect } from 'chai';
import express from 'express';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { Cache, caches } from '../../lib/index.js';
import { cacheRoute } from '../../lib/integrations/express.js';
import larderCacheDefault, { larderCache } from '../../lib/integrations/fastify.js';
import { recordingLogger } from '../support/recording-logger.js';
import { send } from '../support/route-apps.js';

describe('larder/fastify: registration and route options', function () {
  it('is the default export too, and decorates fastify.cache with the alias it was given', async function () {
    expect(larderCacheDefault).to.equal(larderCache);
    caches.add('route-options-test', { backend: 'memory', namespace: 'route-options' });
    const app = Fastify();
    await app.register(larderCache, { cache: 'route-options-test' });
    expect(app.cache).to.equal(caches.get('route-options-test'));
    const byDefault = Fastify();
    await byDefault.register(larderCache);
    expect(byDefault.cache).to.equal(caches.get('default'));
    await Promise.all([app.close(), byDefault.close()]);
  });

  it('refuses a cache that is neither a Cache nor an alias, and unknown options, by name', async function () {
    const bad = Fastify();
    bad.register(larderCache, { cache: 5 as unknown as string });
    const error = await bad.ready().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error)
      .to.be.instanceOf(TypeError)
      .with.property('message')
      .that.matches(/cache must be a Cache or an alias/);
    const typo = Fastify();
    typo.register(larderCache, { cach: 'default' } as never);
    const typoError = await typo.ready().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(typoError)
      .to.be.instanceOf(TypeError)
      .with.property('message')
      .that.matches(/did you mean "cache"/);
  });

  it('refuses a bad config.cache when the route is declared', async function () {
    const app = Fastify();
    await app.register(larderCache, { cache: new Cache() });
    const route = (cache: object) => () =>
      app.get(`/r${Math.random()}`, { config: { cache: cache as never } }, async () => 'x');
    expect(route({ ttl: -1 })).to.throw(RangeError);
    expect(route({})).to.throw(TypeError, /needs a ttl/);
    expect(route({ ttl: 0, staleTtl: '1m' })).to.throw(TypeError, /staleTtl needs a ttl/);
    expect(route({ ttl: '1m', key: 'k' })).to.throw(TypeError, /key must be a function/);
    expect(route({ ttl: '1m', lock: 'yes' })).to.throw(TypeError, /lock must be/);
    expect(route({ ttl: '1m', tll: 1 })).to.throw(TypeError, /did you mean "ttl"/);
    expect(route({ ttl: '1m', tags: 'catalog' })).to.throw(TypeError, /tags must be an array/);
    expect(route({ ttl: '1m', tags: ['catalog', ''] })).to.throw(TypeError, /tags must be an array/);
    await app.close();
  });

  it('types config.cache (tsc checks this file): a ttl is required; tags are a list or a function of request and reply', async function () {
    const app = Fastify();
    await app.register(larderCache, { cache: new Cache() });
    app.get('/typed', { config: { cache: { ttl: '1m', key: (request) => request.url } } }, async () => 'x');
    app.get(
      '/tagged',
      { config: { cache: { ttl: '1m', tags: (request, reply) => [request.url, String(reply.statusCode)] } } },
      async () => 'x',
    );
    app.get('/listed', { config: { cache: { ttl: '1m', tags: ['catalog'] } } }, async () => 'x');
    const tagged = () =>
      // @ts-expect-error tags are strings
      app.get('/numbered', { config: { cache: { ttl: '1m', tags: [1] } } }, async () => 'x');
    // @ts-expect-error ttl is required
    const untimed = () => app.get('/untimed', { config: { cache: { staleTtl: '1m' } } }, async () => 'x');
    expect(tagged).to.throw(TypeError);
    expect(untimed).to.throw(TypeError);
    await app.close();
  });

  it('logs an error for a cached route declared before the plugin was loaded, and answers it uncached', async function () {
    const { logger, records } = recordingLogger();
    const app = Fastify();
    app.register(larderCache, { cache: new Cache({ logger }) });
    let runs = 0;
    app.get('/early', { config: { cache: { ttl: '1m' } } }, async () => ({ runs: ++runs }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const answers = [await send(`${base}/early`), await send(`${base}/early`)];
      expect(answers.map((answer) => answer.body)).to.deep.equal(['{"runs":1}', '{"runs":2}']);
      const errors = records.filter((record) => record.level === 50);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include({ route: 'GET /early' });
      expect(String(errors[0]!.msg)).to.match(/declared before the larder plugin was loaded/);
    } finally {
      await app.close();
    }
  });

  it('answers 500 when a key function makes no key, as for any mistake in a route', async function () {
    const app = Fastify();
    await app.register(larderCache, { cache: new Cache() });
    app.get('/bad-key', { config: { cache: { ttl: '1m', key: () => '' } } }, async () => 'never');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const answer = await send(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/bad-key`);
      expect(answer.status).to.equal(500);
      expect(answer.body).to.match(/key function must return a non-empty string/);
    } finally {
      await app.close();
    }
  });
});

describe('larder/express: cacheRoute options', function () {
  it('refuses bad options at once, by name', function () {
    expect(() => cacheRoute({ ttl: 'soon' })).to.throw(RangeError);
    expect(() => cacheRoute({} as never)).to.throw(TypeError, /needs a ttl/);
    expect(() => cacheRoute({ ttl: '1m', cache: 5 as never })).to.throw(TypeError, /cache must be/);
    expect(() => cacheRoute({ ttl: '1m', key: 'k' as never })).to.throw(TypeError, /key must be a function/);
    expect(() => cacheRoute({ ttl: '1m', staleTtll: '1m' } as never)).to.throw(
      TypeError,
      /did you mean "staleTtl"/,
    );
    // @ts-expect-error tags are a list or a function
    expect(() => cacheRoute({ ttl: '1m', tags: 'catalog' })).to.throw(TypeError, /tags must be an array/);
    expect(typeof cacheRoute({ ttl: '1m', tags: (req, res) => [req.path, String(res.statusCode)] })).to.equal(
      'function',
    );
  });

  it('passes a key function that makes no key on to the error handler (500)', async function () {
    const app = express();
    app.get('/bad-key', cacheRoute({ ttl: '1m', cache: new Cache(), key: () => '' }), (_req, res) => {
      res.send('never');
    });
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send(error.message);
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const answer = await send(`http://127.0.0.1:${(server.address() as AddressInfo).port}/bad-key`);
      expect([answer.status, answer.body]).to.deep.equal([
        500,
        'a route\'s key function must return a non-empty string; got ""',
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
