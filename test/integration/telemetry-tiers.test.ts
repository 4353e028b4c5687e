import { expect } from 'chai';
import { channel } from 'node:diagnostics_channel';
import {
  Cache,
  MetricsPlugin,
  RedisBackend,
  cached,
  multiCached,
  type CacheOptions,
  type InvalidationMessage,
} from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { ownRedis } from '../support/own-redis.js';
import { recordOperations } from '../support/operation-events.js';
import { parsePrometheus, sampleValue } from '../support/prometheus-text.js';
import { recordingLogger } from '../support/recording-logger.js';

// Records every message on larder:invalidation until stop().
function recordInvalidations(): { readonly messages: InvalidationMessage[]; stop(): void } {
  const invalidations = channel('larder:invalidation');
  const messages: InvalidationMessage[] = [];
  const listener = (message: unknown): void => void messages.push(message as InvalidationMessage);
  invalidations.subscribe(listener);
  return { messages, stop: () => invalidations.unsubscribe(listener) };
}

// Caches with L1s over one real Redis (as two processes would have them): what telemetry sees of
// the L1's reads and of the invalidation traffic between them.
describe('telemetry of two tiers over Redis', function () {
  this.timeout(30_000);
  const redis = ownRedis();
  const open = redis.open;
  let count = 0;

  async function l1Cache<V = unknown>(
    namespace: string,
    alias: string,
    options: CacheOptions = {},
  ): Promise<Cache<V>> {
    const cache = new Cache<V>({
      backend: new RedisBackend({ url: redis.server.url }),
      namespace,
      l1: true,
      logger: recordingLogger().logger,
      telemetry: { alias },
      ...options,
    });
    open.push(cache as Cache);
    await eventually('the L1 is live', () => cache.coherence === 'live');
    return cache;
  }

  async function pair<V = unknown>(options: CacheOptions = {}): Promise<[Cache<V>, Cache<V>, string]> {
    const namespace = `tel-tiers-${++count}`;
    return [await l1Cache<V>(namespace, 'a', options), await l1Cache<V>(namespace, 'b', options), namespace];
  }

  it("traces an L1 hit with tier 'l1' and the read that filled it with tier 'l2', for get, multiGet, getOrSet, cached and multiCached", async function () {
    const [, b] = await pair<number>();
    // Written past the bus, so that no message of these writes can reach b's L1 after it fills.
    await redis.admin.mset(b.storedKey('x'), '1', b.storedKey('y'), '2');
    const square = cached(async (n: number) => n * n, { cache: b as Cache, key: (n) => `sq${n}` });
    const squares = multiCached(async (ns: number[]) => ns.map((n) => n * n), {
      cache: b as Cache,
      key: (n) => `sq${n}`,
    });
    // Fill b's L1 untraced.
    await eventually('x and y fill the L1', async () => {
      await b.multiGet(['x', 'y']);
      return b.peek('x') === 1 && b.peek('y') === 2;
    });
    expect(await square(3)).to.equal(9);
    await eventually('sq3 fills the L1', async () => (await b.get('sq3'), b.peek('sq3') !== undefined));

    const recorder = recordOperations();
    try {
      expect(await b.get('x')).to.equal(1);
      expect(await b.multiGet(['x', 'y'])).to.deep.equal([1, 2]);
      expect(await b.getOrSet('y', async () => 0)).to.equal(2);
      expect(await square(3)).to.equal(9);
      expect(await squares([3])).to.deep.equal([9]);
      // An L2 read: past the L1.
      await redis.admin.set(b.storedKey('z'), '3');
      expect(await b.get('z', { l1: false })).to.equal(3);
      expect(await b.get('missing')).to.equal(undefined);
    } finally {
      recorder.stop();
    }
    const settled = recorder.settled().filter((ctx) => ctx.alias === 'b');
    const seen = settled.map(({ op, hit, tier, hits }) => ({
      op,
      hit,
      tier,
      ...(hits === undefined ? {} : { hits }),
    }));
    expect(seen).to.deep.equal([
      { op: 'get', hit: true, tier: 'l1' },
      { op: 'multiGet', hit: true, tier: 'l1', hits: 2 },
      // getOrSet and cached(): the read inside each, then the call itself.
      { op: 'get', hit: true, tier: 'l1' },
      { op: 'getOrSet', hit: true, tier: 'l1' },
      { op: 'get', hit: true, tier: 'l1' },
      { op: 'cached', hit: true, tier: 'l1' },
      { op: 'multiGet', hit: true, tier: 'l1', hits: 1 },
      { op: 'multiCached', hit: true, tier: 'l1', hits: 1 },
      { op: 'get', hit: true, tier: 'l2' },
      { op: 'get', hit: false, tier: 'l2' },
    ]);
    // Every traced call published its events, start to asyncEnd.
    const started = recorder.events.filter((event) => event.event === 'start' && event.ctx.alias === 'b');
    expect(started).to.have.length(settled.length);
  });

  it("traces the L2 read that fills the L1 with tier 'l2', and the next read with tier 'l1'", async function () {
    const [, b] = await pair<string>();
    await redis.admin.set(b.storedKey('k'), '"v"');
    const recorder = recordOperations();
    try {
      await eventually('k fills the L1', async () => (await b.get('k'), b.peek('k') === 'v'));
      expect(await b.get('k')).to.equal('v');
    } finally {
      recorder.stop();
    }
    const gets = recorder.settled().filter((ctx) => ctx.alias === 'b' && ctx.op === 'get');
    expect(gets.length).to.be.at.least(2);
    expect(gets.slice(0, -1).every((ctx) => ctx.hit === true && ctx.tier === 'l2')).to.equal(true);
    expect(gets.at(-1)).to.include({ hit: true, tier: 'l1' });
  });

  it('publishes a bus message out of the writer and into the reader, with its scope and key count', async function () {
    const [a, , namespace] = await pair<string>();
    const recorder = recordInvalidations();
    try {
      await a.multiSet([
        ['k1', 'v'],
        ['k2', 'v'],
      ]);
      await a.clear();
      await eventually('b hears both', () =>
        recorder.messages.some((m) => m.type === 'message' && m.alias === 'b' && m.scope === 'namespace'),
      );
    } finally {
      recorder.stop();
    }
    const messages = recorder.messages.filter((m) => m.type === 'message');
    expect(messages).to.deep.include.members([
      { type: 'message', direction: 'out', source: 'bus', scope: 'keys', keyCount: 2, namespace, alias: 'a' },
      { type: 'message', direction: 'in', source: 'bus', scope: 'keys', keyCount: 2, namespace, alias: 'b' },
      {
        type: 'message',
        direction: 'out',
        source: 'bus',
        scope: 'namespace',
        keyCount: 0,
        namespace,
        alias: 'a',
      },
      {
        type: 'message',
        direction: 'in',
        source: 'bus',
        scope: 'namespace',
        keyCount: 0,
        namespace,
        alias: 'b',
      },
    ]);
    // A cache never hears its own writes.
    expect(messages.filter((m) => m.alias === 'a' && m.direction === 'in')).to.deep.equal([]);
  });

  it("publishes what Redis tracking tells the L1 as messages in from source 'tracking'", async function () {
    const namespace = `tel-tiers-${++count}`;
    const b = await l1Cache<string>(namespace, 'b', { invalidation: 'tracking' });
    await redis.admin.set(b.storedKey('k'), '"v1"');
    await eventually('k fills the L1', async () => (await b.get('k'), b.peek('k') === 'v1'));
    const recorder = recordInvalidations();
    try {
      await redis.admin.set(b.storedKey('k'), '"v2"');
      await eventually('b hears it', () => b.peek('k') === undefined);
      await eventually('published', () => recorder.messages.length > 0);
    } finally {
      recorder.stop();
    }
    expect(recorder.messages).to.deep.include({
      type: 'message',
      direction: 'in',
      source: 'tracking',
      scope: 'keys',
      keyCount: 1,
      namespace,
      alias: 'b',
    });
    expect(recorder.messages.filter((m) => m.type === 'message' && m.direction === 'out')).to.deep.equal([]);
  });

  it('publishes a gap and the coherence changes around it when the subscriber is killed (CLIENT KILL TYPE pubsub)', async function () {
    const [, b, namespace] = await pair<string>();
    await redis.admin.set(b.storedKey('k'), '"v"');
    await eventually('k fills the L1', async () => (await b.get('k'), b.peek('k') === 'v'));
    const recorder = recordInvalidations();
    try {
      await redis.admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await eventually('b has had its gap', () =>
        recorder.messages.some((m) => m.type === 'gap' && m.phase === 'end' && m.alias === 'b'),
      );
      await eventually('live again', () => b.coherence === 'live');
    } finally {
      recorder.stop();
    }
    const ofB = recorder.messages.filter((m) => m.alias === 'b' && m.type !== 'message');
    // A loaded machine may see more than one gap: each starts degraded and ends live.
    expect(ofB.slice(0, 2)).to.deep.equal([
      { type: 'gap', phase: 'start', source: 'bus', namespace, alias: 'b' },
      { type: 'coherence', from: 'live', to: 'degraded', namespace, alias: 'b' },
    ]);
    const end = ofB.findIndex((m) => m.type === 'gap' && m.phase === 'end');
    expect(ofB[end - 1]).to.deep.equal({
      type: 'coherence',
      from: 'degraded',
      to: 'live',
      namespace,
      alias: 'b',
    });
    // The entry b held when the gap started was expired by it.
    expect(ofB[end]).to.deep.equal({
      type: 'gap',
      phase: 'end',
      source: 'bus',
      expired: 1,
      namespace,
      alias: 'b',
    });
    expect(b.peek('k')).to.equal(undefined);
  });

  it('MetricsPlugin reads larder_l1_entries, evictions and invalidation messages back from real traffic', async function () {
    const metrics = new MetricsPlugin();
    const [a, b] = await pair<string>({ plugins: [metrics], l1: { maxSize: 2 } });
    await a.multiSet([
      ['k1', 'v'],
      ['k2', 'v'],
      ['k3', 'v'],
    ]);
    // b reads all three through an L1 of 2: one eviction for size.
    await eventually('b holds two', async () => {
      await b.multiGet(['k1', 'k2', 'k3']);
      return (b.l1?.entries ?? 0) === 2 && (b.l1?.evictions ?? 0) >= 1;
    });
    // k3 held by b, so that its leaving b's L1 is the delete's message arriving (had the LRU
    // evicted it, b would show no k3 before the message came).
    await eventually('b holds k3', async () => (await b.get('k3'), b.peek('k3') === 'v'));
    await a.delete('k3');
    await eventually('b hears the delete', () => b.peek('k3') === undefined);
    const { samples } = parsePrometheus(metrics.toPrometheus());
    expect(sampleValue(samples, 'larder_l1_entries', { cache: 'b' })).to.equal(b.l1!.entries);
    expect(sampleValue(samples, 'larder_l1_entries', { cache: 'a' })).to.equal(a.l1!.entries);
    expect(sampleValue(samples, 'larder_l1_evictions_total', { cache: 'b', reason: 'size' })).to.equal(
      b.l1!.evictions,
    );
    expect(
      sampleValue(samples, 'larder_invalidation_messages_total', {
        cache: 'a',
        direction: 'out',
        source: 'bus',
      }),
    ).to.equal(2);
    expect(
      sampleValue(samples, 'larder_invalidation_messages_total', {
        cache: 'b',
        direction: 'in',
        source: 'bus',
      }),
    ).to.equal(2);
    expect(
      sampleValue(samples, 'larder_invalidation_messages_total', { cache: 'a', direction: 'in' }),
    ).to.equal(0);
  });
});
