import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Cache, cached, MetricsPlugin, OPERATION_CHANNEL } from '../../../lib/index.js';
import { telemetryOfCache } from '../../../lib/telemetry/cache-telemetry.js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parentOf, startTracing, type TestTracing } from '../../support/otel.js';

describe('larder/otel LarderInstrumentation', function () {
  let tracing: TestTracing;
  let cache: Cache;

  beforeEach(function () {
    tracing = startTracing();
    cache = new Cache({ namespace: 'app', telemetry: { alias: 'main' } });
  });

  afterEach(async function () {
    tracing.stop();
    await cache.close();
    expect(tracingChannel(OPERATION_CHANNEL).hasSubscribers).to.equal(false);
  });

  it('makes one INTERNAL span per operation, under the active span, with the cache attributes', async function () {
    await tracing.within('request', async () => {
      await cache.set('k', 1);
      await cache.get('k');
      await cache.get('missing');
    });
    const spans = tracing.spans();
    const request = spans.find((span) => span.name === 'request')!;
    const larder = spans.filter((span) => span.name.startsWith('cache.'));
    expect(larder.map((span) => span.name)).to.deep.equal(['cache.set', 'cache.get', 'cache.get']);
    for (const span of larder) {
      expect(span.kind).to.equal(SpanKind.INTERNAL);
      expect(parentOf(span)).to.equal(request.spanContext().spanId);
      expect(span.spanContext().traceId).to.equal(request.spanContext().traceId);
      expect(span.attributes).to.include({
        'db.namespace': 'app',
        'cache.name': 'main',
        'cache.backend': 'memory',
      });
    }
    expect(larder[1]!.attributes).to.include({
      'cache.operation': 'get',
      'cache.hit': true,
      'cache.tier': 'l2',
    });
    expect(larder[2]!.attributes).to.include({ 'cache.hit': false });
  });

  it('makes one span of a cached() call; with internalSpans, its own get and set nest under it', async function () {
    const load = cached(async (id: string) => `v${id}`, { cache });
    await tracing.within('request', () => load('1'));
    const larder = (): ReadableSpan[] => tracing.spans().filter((span) => span.name.startsWith('cache.'));
    expect(larder().map((span) => span.name)).to.deep.equal(['cache.cached']);
    expect(larder()[0]!.attributes).to.include({
      'cache.hit': false,
      'cache.shared': false,
      'cache.stale': false,
    });
    expect(larder()[0]!.attributes).not.to.have.property('cache.internal');
    tracing.instrumentation.setConfig({ internalSpans: true });
    await tracing.within('request', () => load('2'));
    const call = larder().filter((span) => span.name === 'cache.cached')[1]!;
    const inner = larder().filter((span) => span.name !== 'cache.cached');
    expect(inner.map((span) => span.name)).to.deep.equal(['cache.get', 'cache.set']);
    for (const span of inner) {
      expect(parentOf(span)).to.equal(call.spanContext().spanId);
      expect(span.attributes).to.include({ 'cache.internal': true });
    }
  });

  it('makes no span outside a parent span unless requireParentSpan is false', async function () {
    await cache.get('k');
    expect(tracing.spans()).to.deep.equal([]);
    tracing.instrumentation.setConfig({ requireParentSpan: false });
    await cache.get('k');
    expect(tracing.spans().map((span) => span.name)).to.deep.equal(['cache.get']);
    expect(parentOf(tracing.spans()[0]!)).to.equal(undefined);
  });

  it("makes no span of larder's internal traffic unless internalSpans is set; its work stays under the caller's span", async function () {
    const telemetry = telemetryOfCache.get(cache)!;
    const publish = (): Promise<void> =>
      telemetry.trace(telemetry.context('publish', undefined, ['k'], undefined, { internal: true }), () =>
        cache.get('k').then(() => undefined),
      );
    await tracing.within('request', () => cache.getOrSet('k', async () => (await publish(), 1)));
    const names = (): string[] => tracing.spans().map((span) => span.name);
    expect(names()).not.to.include('cache.publish');
    // The factory's get, made inside the internal call, is the getOrSet's child (the getOrSet's
    // own read and write are internal too, and make no span).
    const getOrSet = tracing.spans().find((span) => span.name === 'cache.getOrSet')!;
    const gets = tracing.spans().filter((span) => span.name === 'cache.get');
    expect(gets.map(parentOf)).to.deep.equal([getOrSet.spanContext().spanId]);
    expect(names()).not.to.include('cache.set');
    tracing.instrumentation.setConfig({ internalSpans: true });
    await tracing.within('request', publish);
    expect(names()).to.include('cache.publish');
  });

  it('marks a rejected operation as an error', async function () {
    await cache.set('text', 'abc');
    await tracing.within('request', () => cache.increment('text').catch(() => undefined));
    const span = tracing.spans().find((one) => one.name === 'cache.increment')!;
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
    expect(span.events.map((event) => event.name)).to.include('exception');
  });

  it('keeps two concurrent getOrSets of one key in their own traces', async function () {
    // Their own reads and write too: they are in the trace of the call that made them.
    tracing.instrumentation.setConfig({ internalSpans: true });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const factory = async (): Promise<string> => {
      calls++;
      await gate;
      return 'value';
    };
    const first = tracing.within('request A', () => cache.getOrSet('shared', factory));
    const second = tracing.within('request B', () => cache.getOrSet('shared', factory));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await Promise.all([first, second])).to.deep.equal(['value', 'value']);
    expect(calls).to.equal(1);
    const spans = tracing.spans();
    const a = spans.find((span) => span.name === 'request A')!.spanContext();
    const b = spans.find((span) => span.name === 'request B')!.spanContext();
    expect(a.traceId).not.to.equal(b.traceId);
    const getOrSets = spans.filter((span) => span.name === 'cache.getOrSet');
    expect(getOrSets).to.have.length(2);
    const inA = getOrSets.find((span) => span.spanContext().traceId === a.traceId)!;
    const inB = getOrSets.find((span) => span.spanContext().traceId === b.traceId)!;
    expect(parentOf(inA)).to.equal(a.spanId);
    expect(parentOf(inB)).to.equal(b.spanId);
    expect(inA.attributes['cache.shared']).to.equal(false);
    expect(inB.attributes['cache.shared']).to.equal(true);
    // Every span is in the trace of the span it names as its parent.
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    for (const span of spans) {
      const parent = parentOf(span);
      if (parent === undefined) continue;
      expect(byId.get(parent)!.spanContext().traceId, span.name).to.equal(span.spanContext().traceId);
    }
    // The one computation's write is the first caller's, in its trace.
    const set = spans.find((span) => span.name === 'cache.set')!;
    expect(parentOf(set)).to.equal(inA.spanContext().spanId);
  });

  it('puts no key in any span or metric by default; includeKeys does', async function () {
    const id = randomUUID();
    const metrics = new MetricsPlugin();
    const plain = new Cache({ plugins: [metrics] });
    const keyed = new Cache({ telemetry: { includeKeys: true } });
    try {
      const load = cached(async (user: string) => ({ user }), { cache: plain });
      await tracing.within('request', async () => {
        await plain.set(`user:${id}`, 1);
        await plain.get(`user:${id}`);
        await plain.multiGet([`user:${id}`]);
        await plain.getOrSet(`session:${id}`, () => 1);
        await load(id);
      });
      const dump = (): string =>
        JSON.stringify(tracing.spans().map(({ name, attributes, events }) => ({ name, attributes, events })));
      expect(dump()).not.to.include(id);
      expect(metrics.toPrometheus()).not.to.include(id);
      expect(JSON.stringify(metrics.stats())).not.to.include(id);
      await tracing.within('request', () => keyed.get(`user:${id}`));
      expect(dump()).to.include(id);
    } finally {
      await plain.close();
      await keyed.close();
    }
  });
});
