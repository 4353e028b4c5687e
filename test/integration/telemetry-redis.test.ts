import { expect } from 'chai';
import { tracingChannel } from 'node:diagnostics_channel';
import { context, trace, type Span } from '@opentelemetry/api';
import { Cache, cached, MetricsPlugin, RedisBackend, type Logger } from '../../lib/index.js';
import { recordOperations } from '../support/operation-events.js';
import { parentOf, startTracing, type TestTracing } from '../support/otel.js';
import { parsePrometheus, sampleValue } from '../support/prometheus-text.js';
import { sharedRedis } from '../support/redis-fixtures.js';
import { RedisServer } from '../support/redis-server.js';
import { recordingLogger } from '../support/recording-logger.js';

describe('telemetry over Redis', function () {
  this.timeout(30_000);

  describe('safe mode against a stopped Redis', function () {
    let server: RedisServer;
    let cache: Cache;
    let metrics: MetricsPlugin;

    before(async function () {
      server = await RedisServer.start();
      metrics = new MetricsPlugin();
      const logger = recordingLogger().logger as Logger;
      cache = new Cache({
        backend: new RedisBackend({
          url: server.url,
          maxRetriesPerRequest: 0,
          enableOfflineQueue: false,
          logger,
        }),
        namespace: 'tel',
        safe: true,
        timeout: '2s',
        plugins: [metrics],
        logger,
      });
      await cache.set('k', 'v');
      await server.stop();
    });

    after(async function () {
      await cache.close();
    });

    it('publishes error with fallback: true for each failure safe mode answers, and the call still settles', async function () {
      const recorder = recordOperations();
      try {
        expect(await cache.get('k')).to.equal(undefined);
        expect(await cache.set('k', 'w')).to.equal(false);
        expect(await cache.multiGet(['a', 'b'])).to.deep.equal([undefined, undefined]);
        expect(await cache.delete('k')).to.equal(0);
        const load = cached(async () => 'computed', { cache, key: 'fn' });
        expect(await load()).to.equal('computed');
      } finally {
        recorder.stop();
      }
      const errors = recorder.events.filter((event) => event.event === 'error').map((event) => event.ctx);
      expect(errors.map((ctx) => ctx.op)).to.deep.equal(['get', 'set', 'multiGet', 'delete', 'get', 'set']);
      for (const ctx of errors) {
        expect(ctx.fallback, ctx.op).to.equal(true);
        expect((ctx.error as Error).name, ctx.op).to.match(/BackendError|CacheTimeoutError/);
      }
      const settled = recorder.settled();
      expect(settled.find((ctx) => ctx.op === 'get')).to.include({ hit: false, fallback: true });
      // cached() failed open: its call settled as a miss with no error of its own.
      const call = settled.find((ctx) => ctx.op === 'cached')!;
      expect(call).to.include({ hit: false });
      expect(call.error).to.equal(undefined);

      const { samples } = parsePrometheus(metrics.toPrometheus());
      expect(sampleValue(samples, 'larder_cache_errors_total', { op: 'get', fallback: 'true' })).to.equal(2);
      expect(
        sampleValue(samples, 'larder_cache_errors_total', { op: 'set', fallback: 'true' }),
      ).to.be.at.least(2);
      // The failures of cached()'s own read and write count as the cache's; its read is no request.
      expect(sampleValue(samples, 'larder_cache_requests_total', { op: 'get', result: 'miss' })).to.equal(1);
    });
  });

  describe('spans', function () {
    let tracing: TestTracing;
    let cache: Cache;
    const commandChannel = tracingChannel<unknown, { command: string; [SPAN]?: Span }>('ioredis:command');
    const SPAN = Symbol('test.redis.span');
    // What an ioredis instrumentation does: a span per command, child of the active context when
    // the command is sent.
    const handlers = {
      start: (ctx: { command: string; [SPAN]?: Span }) => {
        ctx[SPAN] = trace.getTracer('redis').startSpan(`redis.${ctx.command}`, {}, context.active());
      },
      end: () => undefined,
      asyncStart: () => undefined,
      asyncEnd: (ctx: { [SPAN]?: Span }) => ctx[SPAN]?.end(),
      error: (ctx: { [SPAN]?: Span }) => ctx[SPAN]?.end(),
    };

    before(async function () {
      const server = await sharedRedis();
      cache = new Cache({ backend: new RedisBackend({ url: `${server.url}/13` }), namespace: 'spans' });
      await cache.clear();
    });

    beforeEach(function () {
      tracing = startTracing();
      commandChannel.subscribe(handlers);
    });

    afterEach(function () {
      commandChannel.unsubscribe(handlers);
      tracing.stop();
    });

    after(async function () {
      await cache.close();
    });

    it("nests ioredis' command spans under larder's operation span", async function () {
      await tracing.within('request', async () => {
        await cache.set('a', 1);
        await cache.get('a');
        await cache.multiGet(['a', 'b']);
      });
      const spans = tracing.spans();
      for (const [operation, command] of [
        ['cache.set', 'redis.set'],
        ['cache.get', 'redis.get'],
        ['cache.multiGet', 'redis.mget'],
      ] as const) {
        const larder = spans.find((span) => span.name === operation)!;
        const redis = spans.filter((span) => span.name === command);
        expect(redis, command).to.have.length(1);
        expect(parentOf(redis[0]!), command).to.equal(larder.spanContext().spanId);
      }
      expect(spans.find((span) => span.name === 'cache.get')!.attributes).to.include({
        'cache.hit': true,
        'cache.backend': 'redis',
        'db.namespace': 'spans',
      });
    });

    it('keeps two concurrent getOrSets of one key under two parents in their own traces, with their commands', async function () {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const factory = async (): Promise<string> => {
        await gate;
        return 'computed';
      };
      const first = tracing.within('request A', () => cache.getOrSet('same', factory, { ttl: '1m' }));
      // B asks once A's computation is under way.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = tracing.within('request B', () => cache.getOrSet('same', factory, { ttl: '1m' }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      release();
      expect(await Promise.all([first, second])).to.deep.equal(['computed', 'computed']);
      const spans = tracing.spans();
      const traceOf = (name: string): string =>
        spans.find((span) => span.name === name)!.spanContext().traceId;
      const a = traceOf('request A');
      const b = traceOf('request B');
      expect(a).not.to.equal(b);
      const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
      for (const span of spans) {
        const parent = parentOf(span);
        if (parent !== undefined)
          expect(byId.get(parent)!.spanContext().traceId).to.equal(span.spanContext().traceId);
      }
      // The write of the one computation is in A's trace only; B's getOrSet shared it.
      const writes = spans.filter((span) => span.name === 'redis.set');
      expect(writes.map((span) => span.spanContext().traceId)).to.deep.equal([a]);
      const inB = spans.find((span) => span.name === 'cache.getOrSet' && span.spanContext().traceId === b)!;
      expect(inB.attributes['cache.shared']).to.equal(true);
    });
  });
});
