import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Cache, RedisBackend, cached, type CacheOptions } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { recordOperations } from '../support/operation-events.js';
import { parentOf, startTracing, type TestTracing } from '../support/otel.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedRedis } from '../support/redis-fixtures.js';

// larder's own traffic over a real Redis: a read-through's read, lock, hit counter and write, the
// bus's publishes and the tag lookups make no span of their own unless internalSpans asks, and
// then nest under the application's operation that caused them.
describe('telemetry of larder’s own traffic over Redis', function () {
  this.timeout(30_000);
  let tracing: TestTracing;
  const open: Cache[] = [];

  beforeEach(function () {
    tracing = startTracing();
  });

  afterEach(async function () {
    tracing.stop();
    await Promise.all(open.splice(0).map((cache) => cache.close()));
  });

  async function redisCache(options: CacheOptions = {}): Promise<Cache> {
    const server = await sharedRedis();
    const cache = new Cache({
      backend: new RedisBackend({ url: server.url }),
      namespace: `tel-internal-${randomUUID()}`,
      logger: recordingLogger().logger,
      ...options,
    });
    open.push(cache);
    return cache;
  }

  // larder's spans, and each one's parent span.
  const larderSpans = (): ReadableSpan[] => tracing.spans().filter((span) => span.name.startsWith('cache.'));
  const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

  it('makes exactly one span of a cached() call with hits and lock; internalSpans nests its own calls under it', async function () {
    const cache = await redisCache();
    let computed = 0;
    const load = cached(async (id: string) => `${id}:${++computed}`, {
      cache,
      ttl: '1m',
      hits: 3,
      lock: { lease: '5s' },
    });
    // A miss (under the lock) and a counted hit.
    await tracing.within('request', () => load('a'));
    await tracing.within('request', () => load('a'));
    expect(computed).to.equal(1);
    const requests = tracing.spans().filter((span) => span.name === 'request');
    expect(larderSpans().map((span) => span.name)).to.deep.equal(['cache.cached', 'cache.cached']);
    expect(larderSpans().map(parentOf)).to.deep.equal(requests.map(idOf));

    tracing.instrumentation.setConfig({ internalSpans: true });
    const before = tracing.spans().length;
    await tracing.within('request', () => load('b'));
    await tracing.within('request', () => load('b'));
    // The hit counter's ttl is set after the call answered.
    await eventually('the hit counter has its ttl', () =>
      tracing.spans().some((span) => span.name === 'cache.expire'),
    );
    const spans = tracing.spans().slice(before);
    const calls = spans.filter((span) => span.name === 'cache.cached');
    expect(calls).to.have.length(2);
    const inner = spans.filter((span) => span.name.startsWith('cache.') && span.name !== 'cache.cached');
    // The miss: its read, the lock's attempt, the read under the lock, the write, the release;
    // the hit: its read and the counter's increment and expire.
    expect(inner.map((span) => span.name).sort()).to.deep.equal(
      [
        'cache.get',
        'cache.lock',
        'cache.get',
        'cache.set',
        'cache.lock',
        'cache.get',
        'cache.increment',
        'cache.expire',
      ].sort(),
    );
    for (const span of inner) {
      expect(span.attributes, span.name).to.include({ 'cache.internal': true });
      expect(calls.map(idOf), span.name).to.include(parentOf(span));
      const call = calls.find((one) => idOf(one) === parentOf(span))!;
      expect(span.spanContext().traceId).to.equal(call.spanContext().traceId);
    }
    const increment = inner.find((span) => span.name === 'cache.increment')!;
    expect(parentOf(increment)).to.equal(idOf(calls[1]!));
  });

  it('makes no span of the bus publish of a set by default; internalSpans makes one, under the set', async function () {
    const cache = await redisCache({ l1: true });
    await eventually('the L1 is live', () => cache.coherence === 'live');
    const recorder = recordOperations();
    try {
      await tracing.within('request', () => cache.set('a', 1));
      // It was published (an internal 'publish' on the channel), and made no span.
      await eventually('the publish settled', () => recorder.settled().some((ctx) => ctx.op === 'publish'));
      const publish = recorder.settled().find((ctx) => ctx.op === 'publish')!;
      expect(publish).to.include({ internal: true, keyCount: 1, namespace: cache.namespace });
      expect(larderSpans().map((span) => span.name)).to.deep.equal(['cache.set']);

      tracing.instrumentation.setConfig({ internalSpans: true });
      await tracing.within('request', () => cache.set('b', 2));
      await eventually('the publish span ended', () =>
        tracing.spans().some((span) => span.name === 'cache.publish'),
      );
      const publishes = tracing.spans().filter((span) => span.name === 'cache.publish');
      expect(publishes).to.have.length(1);
      const set = larderSpans().filter((span) => span.name === 'cache.set')[1]!;
      expect(parentOf(publishes[0]!)).to.equal(idOf(set));
      expect(publishes[0]!.attributes).to.include({ 'cache.internal': true, 'cache.key_count': 1 });
    } finally {
      recorder.stop();
    }
  });

  it('makes no span of the tag lookup of a tagged read by default; internalSpans makes one, under the get', async function () {
    const cache = await redisCache();
    await cache.set('a', 1, { tags: ['users'] });
    await tracing.within('request', () => cache.get('a'));
    expect(larderSpans().map((span) => span.name)).to.deep.equal(['cache.get']);

    tracing.instrumentation.setConfig({ internalSpans: true });
    expect(await tracing.within('request', () => cache.get('a'))).to.equal(1);
    const get = larderSpans().filter((span) => span.name === 'cache.get')[1]!;
    const lookups = larderSpans().filter((span) => span.name === 'cache.tagLookup');
    expect(lookups).to.have.length(1);
    expect(parentOf(lookups[0]!)).to.equal(idOf(get));
    expect(lookups[0]!.attributes).to.include({ 'cache.internal': true, 'cache.key_count': 1 });
  });
});
