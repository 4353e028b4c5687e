import { expect } from 'chai';
import { Cache, RedisBackend } from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { send, startApp, type Framework, type RouteApp } from '../support/route-apps.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const parse = (body: string) => JSON.parse(body) as { n: number };

for (const framework of ['fastify', 'express'] as Framework[]) {
  describe(`route cache: ${framework} with the cache failing`, function () {
    this.timeout(30_000);
    let server: RedisServer;
    let proxy: TcpProxy;
    let cache: Cache;
    let app: RouteApp;
    let records: Record<string, unknown>[];

    before(async function () {
      server = await RedisServer.start();
    });

    after(async function () {
      await server.stop();
    });

    beforeEach(async function () {
      proxy = await TcpProxy.start(server.port);
      const recording = recordingLogger();
      records = recording.records;
      cache = new Cache({
        backend: new RedisBackend({ url: `redis://127.0.0.1:${proxy.port}`, logger: recording.logger }),
        namespace: `faults-${framework}-${Math.random()}`,
        timeout: 300,
        logger: recording.logger,
      });
    });

    afterEach(async function () {
      await app?.close();
      await cache.close();
      await proxy.close();
    });

    for (const lock of [false, true]) {
      it(`answers BYPASS from the handler when Redis never answers, once the cache's timeout passes${lock ? ' (lock)' : ''}`, async function () {
        app = await startApp(framework, { cache, lock });
        expect((await send(`${app.base}/counted`)).headers['x-cache']).to.equal('MISS');
        expect((await send(`${app.base}/counted`)).headers['x-cache']).to.equal('HIT');
        // Connections stay open and nothing comes back: only the time limit can end the reads.
        proxy.blackhole();
        const answers = await Promise.all([1, 2, 3].map(() => send(`${app.base}/counted`)));
        expect(answers.map((a) => [a.status, a.headers['x-cache']])).to.deep.equal(
          Array(3).fill([200, 'BYPASS']),
        );
        expect(answers.map((a) => parse(a.body).n).sort()).to.deep.equal([2, 3, 4]);
        const warnings = records.filter((r) => r.msg === 'route cache failed; bypassing it');
        expect(warnings.length).to.be.at.least(3);
        expect((warnings[0]!.err as { type: string }).type).to.equal('CacheTimeoutError');
      });
    }

    it('answers BYPASS from a safe cache too, whose failing reads look like misses', async function () {
      const safe = new Cache({
        backend: new RedisBackend({
          url: `redis://127.0.0.1:${proxy.port}`,
          logger: recordingLogger().logger,
        }),
        namespace: `safe-${Math.random()}`,
        timeout: 300,
        safe: true,
        logger: recordingLogger().logger,
      });
      try {
        app = await startApp(framework, { cache: safe });
        expect((await send(`${app.base}/counted`)).headers['x-cache']).to.equal('MISS');
        proxy.blackhole();
        const answer = await send(`${app.base}/counted`);
        expect([answer.status, answer.headers['x-cache'], parse(answer.body).n]).to.deep.equal([
          200,
          'BYPASS',
          2,
        ]);
      } finally {
        await safe.close();
      }
    });

    it('answers BYPASS when the Redis server is stopped, and caches again once it is back', async function () {
      const own = await RedisServer.start();
      const down = new Cache({
        backend: new RedisBackend({ url: own.url, logger: recordingLogger().logger }),
        namespace: 'stopped',
        timeout: 300,
        logger: recordingLogger().logger,
      });
      try {
        app = await startApp(framework, { cache: down });
        expect((await send(`${app.base}/counted`)).headers['x-cache']).to.equal('MISS');
        await own.kill();
        const answer = await send(`${app.base}/counted?down`);
        expect([answer.status, answer.headers['x-cache'], parse(answer.body).n]).to.deep.equal([
          200,
          'BYPASS',
          2,
        ]);
        await own.restart();
        // ioredis reconnects on its own schedule: BYPASS until it has, then the cache works again.
        let status: unknown = 'BYPASS';
        for (let attempt = 0; status === 'BYPASS' && attempt < 100; attempt++)
          status = (await send(`${app.base}/counted?back`)).headers['x-cache'];
        expect(status).to.equal('MISS');
        expect((await send(`${app.base}/counted?back`)).headers['x-cache']).to.equal('HIT');
      } finally {
        await down.close();
        await own.stop();
      }
    });

    it('sends the response with BYPASS when storing it fails after the handler ran', async function () {
      app = await startApp(framework, { cache });
      const lost = proxy.loseReplyTo('freshUntil');
      const answer = await send(`${app.base}/counted?lost`);
      await lost;
      expect([answer.status, answer.headers['x-cache'], parse(answer.body).n]).to.deep.equal([
        200,
        'BYPASS',
        1,
      ]);
      const warning = records.find((r) => r.msg === 'route cache failed; the response goes out uncached');
      expect((warning?.err as { type: string } | undefined)?.type).to.match(
        /OutcomeUnknownError|BackendError/,
      );
    });
  });
}
