import { expect } from 'chai';
import {
  Cache,
  MetricsPlugin,
  cached,
  circuitBreaker,
  detectCache,
  multiCached,
  rateLimited,
} from '../../../lib/index.js';
import { eventually } from '../../support/eventually.js';
import { recordOperations } from '../../support/operation-events.js';
import { parsePrometheus, sampleValue } from '../../support/prometheus-text.js';
import { startTracing } from '../../support/otel.js';

// What the application calls is what telemetry counts: the calls larder makes for it (a
// read-through's read, lock, hit counter and write; a guard's state; detectCache's ttl reads)
// are published as `internal`, which metrics leave out and spans hide unless asked.
describe("telemetry of larder's own traffic", function () {
  it("counts only the application's calls in MetricsPlugin's counters", async function () {
    const metrics = new MetricsPlugin();
    const cache = new Cache({ plugins: [metrics], telemetry: { alias: 'app' } });
    const recorder = recordOperations();
    try {
      let computed = 0;
      const load = cached(async (id: string) => `${id}:${++computed}`, {
        cache,
        ttl: '1m',
        hits: 2,
        lock: { lease: '5s' },
      });
      await load('a'); // miss, computed under the lock
      await load('a'); // counted hit
      await load('a'); // counted hit
      await load('a'); // its hits spent: a miss (it takes the lock to compute again)
      const squares = multiCached(async (ids: number[]) => ids.map((n) => n * n), { cache, ttl: '1m' });
      await squares([1, 2]);
      await squares([1, 2]);
      const limited = rateLimited(async () => 'ok', { cache, limit: 5, period: '1m' });
      await limited();
      await limited();
      const guarded = circuitBreaker(async () => 'ok', {
        cache,
        errorRate: 0.5,
        minCalls: 10,
        period: '1m',
        openFor: '1m',
      });
      await guarded();
      await cache.set('k', 1);
      const { hits } = await detectCache(() => cache.get('k'));
      expect(hits).to.have.length(1);
      expect(await cache.getOrSet('g', () => 2)).to.equal(2);
      expect(computed).to.be.at.least(1);
      await new Promise((resolve) => setImmediate(resolve));

      const { samples } = parsePrometheus(metrics.toPrometheus());
      const calls = new Map(
        samples
          .filter((s) => s.name === 'larder_cache_operation_seconds_count')
          .map((s) => [s.labels.op!, s.value]),
      );
      expect(Object.fromEntries(calls)).to.deep.equal({
        cached: 4,
        multiCached: 2,
        set: 1,
        get: 1,
        getOrSet: 1,
      });
      const requests = (op: string, result: string): number =>
        sampleValue(samples, 'larder_cache_requests_total', { cache: 'app', op, result, tier: 'l2' });
      expect(requests('cached', 'hit')).to.equal(2);
      expect(requests('cached', 'miss')).to.equal(2);
      expect(requests('multiCached', 'hit')).to.equal(2);
      expect(requests('multiCached', 'miss')).to.equal(2);
      expect(requests('get', 'hit')).to.equal(1);
      expect(requests('getOrSet', 'miss')).to.equal(1);
      expect(
        samples.filter((s) => s.name === 'larder_cache_requests_total').map((s) => s.labels.op),
      ).to.have.members(['cached', 'cached', 'multiCached', 'multiCached', 'get', 'getOrSet']);

      // Everything else on the channel was larder's own, and says so.
      const app = new Set(['cached', 'multiCached', 'set', 'get', 'getOrSet']);
      const own = recorder.settled().filter((ctx) => ctx.internal === true);
      expect(new Set(own.map((ctx) => ctx.op))).to.deep.equal(
        new Set(['get', 'multiGet', 'set', 'multiSet', 'lock', 'increment', 'expire', 'delete', 'ttl']),
      );
      const counted = recorder.settled().filter((ctx) => ctx.internal !== true);
      expect(counted.every((ctx) => app.has(ctx.op))).to.equal(true);
      expect(counted).to.have.length(9);
    } finally {
      recorder.stop();
      await cache.close();
    }
  });

  it("keeps a read-through's lock internal through its retries and release; the application's own lock is not", async function () {
    const cache = new Cache({ namespace: 'locks' });
    const recorder = recordOperations();
    try {
      const load = cached(async () => 'v', { cache, key: 'k', lock: { lease: '5s' } });
      // The application holds the entry's lock (cached() locks the entry's own key).
      const held = await cache.lock('k', { lease: '5s' });
      const call = load();
      const ownAttempts = (): number =>
        recorder.settled().filter((ctx) => ctx.op === 'lock' && ctx.internal === true).length;
      await eventually('cached() retried the lock', () => ownAttempts() >= 2, 5_000);
      await held.release();
      expect(await call).to.equal('v');
      const locks = recorder.settled().filter((ctx) => ctx.op === 'lock');
      // The application's: its lock and its release; the rest (attempts, the last one's success,
      // the release) are cached()'s own.
      expect(locks.filter((ctx) => ctx.internal !== true)).to.have.length(2);
      expect(ownAttempts()).to.be.at.least(4);
    } finally {
      recorder.stop();
      await cache.close();
    }
  });

  it("makes no span of a guard's state unless internalSpans is set, then under the caller's span", async function () {
    const tracing = startTracing();
    const cache = new Cache();
    try {
      const limited = rateLimited(async () => 'ok', { cache, limit: 5, period: '1m' });
      const guarded = circuitBreaker(async () => 'ok', {
        cache,
        errorRate: 0.5,
        minCalls: 10,
        period: '1m',
        openFor: '1m',
      });
      await tracing.within('request', async () => {
        await limited();
        await guarded();
      });
      expect(tracing.spans().map((span) => span.name)).to.deep.equal(['request']);
      tracing.instrumentation.setConfig({ internalSpans: true });
      await tracing.within('request', async () => {
        await limited();
        await guarded();
      });
      const request = tracing.spans().filter((span) => span.name === 'request')[1]!;
      const inner = tracing.spans().filter((span) => span.name.startsWith('cache.'));
      // rateLimited: its increment (the window started already); circuitBreaker: the state's read,
      // then the call counted.
      expect(inner.map((span) => span.name)).to.deep.equal([
        'cache.increment',
        'cache.multiGet',
        'cache.increment',
      ]);
      for (const span of inner) {
        expect(span.parentSpanContext?.spanId).to.equal(request.spanContext().spanId);
        expect(span.attributes).to.include({ 'cache.internal': true });
      }
    } finally {
      tracing.stop();
      await cache.close();
    }
  });
});
