import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import {
  Cache,
  CacheRegistry,
  cached,
  ConfigError,
  MetricsPlugin,
  OPERATION_CHANNEL,
  publishInvalidation,
} from '../../../lib/index.js';
import { telemetryOfCache } from '../../../lib/telemetry/cache-telemetry.js';
import { parsePrometheus, sampleValue } from '../../support/prometheus-text.js';

describe('MetricsPlugin', function () {
  it('exposes counters that equal what was done, in text Prometheus parses', async function () {
    const metrics = new MetricsPlugin();
    const cache = new Cache({ plugins: [metrics], telemetry: { alias: 'shop' } });
    try {
      await cache.set('a', 1);
      await cache.set('b', 2);
      await cache.get('a');
      await cache.get('b');
      await cache.get('a');
      await cache.get('x');
      await cache.get('y');
      await cache.multiGet(['a', 'b', 'z']);
      await cache.increment('a', 1.5).catch(() => undefined);
      let now = 0;
      const load = cached(async () => 'v', {
        cache,
        key: 'k',
        ttl: 1_000,
        staleTtl: 60_000,
        clock: { now: () => now },
      });
      await load(); // miss
      await load(); // hit
      now = 5_000;
      await load(); // stale
      await new Promise((resolve) => setImmediate(resolve)); // its background refresh

      const { types, samples } = parsePrometheus(metrics.toPrometheus());
      const requests = (labels: Record<string, string>): number =>
        sampleValue(samples, 'larder_cache_requests_total', { cache: 'shop', tier: 'l2', ...labels });
      expect(types.get('larder_cache_requests_total')).to.equal('counter');
      expect(types.get('larder_cache_operation_seconds')).to.equal('histogram');
      // The gets asked (3 hits, 2 misses); the reads cached() made are its own, not counted.
      expect(requests({ op: 'get', result: 'hit' })).to.equal(3);
      expect(requests({ op: 'get', result: 'miss' })).to.equal(2);
      expect(requests({ op: 'multiGet', result: 'hit' })).to.equal(2);
      expect(requests({ op: 'multiGet', result: 'miss' })).to.equal(1);
      expect(requests({ op: 'cached', result: 'miss' })).to.equal(1);
      expect(requests({ op: 'cached', result: 'hit' })).to.equal(1);
      expect(requests({ op: 'cached', result: 'stale' })).to.equal(1);

      const seconds = (suffix: string, labels: Record<string, string>): number =>
        sampleValue(samples, `larder_cache_operation_seconds_${suffix}`, { cache: 'shop', ...labels });
      expect(seconds('count', { op: 'get' })).to.equal(5);
      expect(seconds('bucket', { op: 'get', le: '+Inf' })).to.equal(5);
      expect(seconds('count', { op: 'cached' })).to.equal(3);
      // The 2 sets asked; cached()'s writes (after the miss, after the refresh) are its own.
      expect(seconds('count', { op: 'set' })).to.equal(2);
      expect(seconds('sum', { op: 'get' })).to.be.greaterThan(0);
      const buckets = samples.filter(
        (s) => s.name === 'larder_cache_operation_seconds_bucket' && s.labels.op === 'get',
      );
      const counts = buckets.map((s) => s.value);
      expect(counts).to.deep.equal([...counts].sort((x, y) => x - y));
      expect(
        sampleValue(samples, 'larder_cache_errors_total', { op: 'increment', fallback: 'false' }),
      ).to.equal(1);
      expect(metrics.stats().operations.find((op) => op.op === 'increment')).to.include({
        errors: 1,
        count: 1,
      });
    } finally {
      await cache.close();
    }
  });

  it('counts only the caches it was given to, and stops listening once they closed', async function () {
    const channel = tracingChannel(OPERATION_CHANNEL);
    const metrics = new MetricsPlugin();
    expect(channel.hasSubscribers).to.equal(false);
    const counted = new Cache({ plugins: [metrics], namespace: 'mine' });
    const other = new Cache({ namespace: 'theirs' });
    expect(channel.hasSubscribers).to.equal(true);
    await counted.get('a');
    await other.get('a');
    // larder's own traffic (bus publishes, tag lookups) is no request of the application's.
    const telemetry = telemetryOfCache.get(counted)!;
    await telemetry.trace(
      telemetry.context('get', 'b', undefined, undefined, { internal: true }),
      async () => 1,
    );
    await other.close();
    await counted.close();
    expect(channel.hasSubscribers).to.equal(false);
    expect(metrics.stats().requests).to.deep.equal([
      { cache: 'mine', op: 'get', result: 'miss', tier: 'l2', count: 1 },
    ]);
  });

  it('never labels by key; keyGroups add a bounded group label', async function () {
    const id = randomUUID();
    const plain = new MetricsPlugin();
    const grouped = new MetricsPlugin({ keyGroups: { user: /^user:/, post: /^post:/ } });
    const cache = new Cache({ plugins: [plain, grouped], telemetry: { includeKeys: true } });
    try {
      await cache.set(`user:${id}`, 1);
      await cache.get(`user:${id}`);
      await cache.get(`post:${id}`);
      await cache.get(`other:${id}`);
      await cache.multiGet([`user:${id}`, `post:${id}`]);
      for (const text of [plain.toPrometheus(), grouped.toPrometheus(), JSON.stringify(plain.stats())]) {
        expect(text).not.to.include(id);
      }
      const { samples } = parsePrometheus(grouped.toPrometheus());
      const group = (op: string, result: string, name: string): number =>
        sampleValue(samples, 'larder_cache_requests_total', { op, result, group: name });
      expect(group('get', 'hit', 'user')).to.equal(1);
      expect(group('get', 'miss', 'post')).to.equal(1);
      expect(group('get', 'miss', 'other')).to.equal(1);
      expect(group('multiGet', 'hit', 'user')).to.equal(1);
      expect(group('multiGet', 'miss', 'post')).to.equal(1);
    } finally {
      await cache.close();
    }
  });

  it('reads the L1 gauges from the source the L1 reports, and counts invalidation messages', async function () {
    const metrics = new MetricsPlugin();
    const cache = new Cache({ plugins: [metrics], namespace: 'app' });
    try {
      telemetryOfCache.get(cache)!.reportL1({ entries: 12, evictions: () => ({ size: 3, invalidation: 2 }) });
      const message = { namespace: 'app', alias: undefined, source: 'bus' } as const;
      publishInvalidation({ ...message, type: 'message', direction: 'in', scope: 'keys', keyCount: 2 });
      publishInvalidation({ ...message, type: 'message', direction: 'out', scope: 'namespace', keyCount: 0 });
      publishInvalidation({ ...message, type: 'message', direction: 'in', scope: 'keys', keyCount: 1 });
      publishInvalidation({ ...message, type: 'gap', phase: 'start' });
      publishInvalidation({ ...message, namespace: 'elsewhere', type: 'gap', phase: 'start' });
      const { types, samples } = parsePrometheus(metrics.toPrometheus());
      expect(types.get('larder_l1_entries')).to.equal('gauge');
      expect(sampleValue(samples, 'larder_l1_entries', { cache: 'app' })).to.equal(12);
      expect(sampleValue(samples, 'larder_l1_evictions_total', { cache: 'app', reason: 'size' })).to.equal(3);
      const messages = (direction: string): number =>
        sampleValue(samples, 'larder_invalidation_messages_total', {
          cache: 'app',
          direction,
          source: 'bus',
        });
      expect(messages('in')).to.equal(2);
      expect(messages('out')).to.equal(1);
      expect(sampleValue(samples, 'larder_invalidation_gaps_total', { cache: 'app' })).to.equal(1);
      expect(sampleValue(samples, 'larder_invalidation_gaps_total', { cache: 'elsewhere' })).to.equal(0);
    } finally {
      await cache.close();
    }
  });

  it('is the `metrics` plugin type of configs, with pattern strings for keyGroups', async function () {
    const registry = new CacheRegistry();
    registry.setConfig({
      default: { backend: 'memory', plugins: [{ type: 'metrics', keyGroups: { user: '^user:' } }] },
    });
    try {
      const cache = registry.get();
      const metrics = cache.plugins[0] as MetricsPlugin;
      expect(metrics).to.be.instanceOf(MetricsPlugin);
      await cache.get('user:1');
      expect(metrics.stats().requests).to.deep.equal([
        { cache: 'default', op: 'get', result: 'miss', tier: 'l2', group: 'other', count: 1 },
      ]);
      expect(() =>
        registry.setConfig({ default: { plugins: [{ type: 'metrics', buckets: [2, 1] }] } }),
      ).to.throw(ConfigError, /^caches\.default\.plugins\[0\]\.buckets: expected increasing numbers/);
    } finally {
      await registry.closeAll();
    }
  });

  it('refuses bad options', function () {
    expect(() => new MetricsPlugin({ buckets: [0.1, 0.01] })).to.throw(RangeError, /buckets/);
    expect(() => new MetricsPlugin({ keyGroups: { user: 5 as never } })).to.throw(
      TypeError,
      /keyGroups\.user/,
    );
    expect(() => new MetricsPlugin({ keyGroups: { user: '(' } })).to.throw(TypeError, /keyGroups\.user/);
    expect(() => new MetricsPlugin({ bucket: [1] } as never)).to.throw(TypeError, /did you mean "buckets"/);
  });
});
