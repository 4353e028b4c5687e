import { expect } from 'chai';
import { tracingChannel } from 'node:diagnostics_channel';
import {
  Cache,
  CacheRegistry,
  cached,
  multiCached,
  OPERATION_CHANNEL,
  type OperationContext,
} from '../../../lib/index.js';
import { recordOperations } from '../../support/operation-events.js';

describe('the larder:operation tracing channel', function () {
  let recorder: ReturnType<typeof recordOperations>;
  let cache: Cache;

  beforeEach(function () {
    recorder = recordOperations();
    cache = new Cache({ namespace: 'ns', telemetry: { alias: 'main' } });
  });

  afterEach(async function () {
    recorder.stop();
    await cache.close();
  });

  it('traces every public operation with start, end, asyncStart and asyncEnd on one context', async function () {
    await cache.set('a', 1);
    await cache.get('a');
    await cache.multiGet(['a', 'b']);
    await cache.add('b', 2);
    await cache.multiSet([['c', 3]]);
    await cache.exists('a');
    await cache.increment('n');
    await cache.expire('a', '1m');
    await cache.ttl('a');
    await cache.delete('c');
    await cache.multiDelete(['b', 'x']);
    await cache.deletePattern('z*');
    await cache.getOrSet('g', () => 7);
    await cache.raw('size');
    await cache.withLock('l', () => undefined, { lease: '1s' });
    const optimistic = await cache.optimisticLock('o');
    await optimistic.set(1);
    for await (const _page of cache.scan('*')) break;
    await cache.clear();

    const ops = recorder.settled().map((ctx) => ctx.op);
    for (const op of [
      'set',
      'get',
      'multiGet',
      'add',
      'multiSet',
      'exists',
      'increment',
      'expire',
      'ttl',
      'delete',
      'multiDelete',
      'deletePattern',
      'getOrSet',
      'raw',
      'lock',
      'optimisticLock',
      'scan',
      'clear',
    ]) {
      expect(ops, op).to.include(op);
    }
    // Every call publishes the four events in order, on the same object.
    const byContext = new Map<OperationContext, string[]>();
    for (const { event, same } of recorder.events)
      byContext.set(same, [...(byContext.get(same) ?? []), event]);
    for (const [ctx, events] of byContext) {
      expect(events, ctx.op).to.deep.equal(['start', 'end', 'asyncStart', 'asyncEnd']);
    }
    const multiGet = recorder.settled().find((ctx) => ctx.op === 'multiGet')!;
    expect(multiGet).to.include({
      namespace: 'ns',
      alias: 'main',
      keyCount: 2,
      hits: 1,
      hit: false,
      tier: 'l2',
    });
    expect(recorder.settled().find((ctx) => ctx.op === 'clear')).to.include({ keyCount: 0 });
  });

  it('says whether a get hit, and carries no key unless asked', async function () {
    await cache.set('user:42', { name: 'x' });
    await cache.get('user:42');
    await cache.get('user:43', { default: 'd' });
    const gets = recorder.settled().filter((ctx) => ctx.op === 'get');
    expect(gets.map((ctx) => ctx.hit)).to.deep.equal([true, false]);
    expect(gets[0]).to.include({ tier: 'l2', keyCount: 1, namespace: 'ns', alias: 'main' });
    for (const ctx of recorder.settled()) {
      expect(ctx).not.to.have.property('key');
      expect(ctx).not.to.have.property('keys');
    }
  });

  it('carries the keys with includeKeys, through the keySanitizer', async function () {
    const keyed = new Cache({
      telemetry: { includeKeys: true, keySanitizer: (key) => key.replace(/\d+/g, '#') },
    });
    try {
      await keyed.set('user:42', 1);
      await keyed.multiGet(['user:1', 'post:22']);
      const [set, multiGet] = recorder.settled();
      expect(set).to.include({ op: 'set', key: 'user:#' });
      expect(multiGet!.keys).to.deep.equal(['user:#', 'post:#']);
    } finally {
      await keyed.close();
    }
    const failing = new Cache({
      telemetry: {
        includeKeys: true,
        keySanitizer: () => {
          throw new Error('no');
        },
      },
    });
    try {
      expect(await failing.get('secret:1')).to.equal(undefined);
      expect(recorder.settled().at(-1)).to.include({ op: 'get', key: '[unsanitized]' });
    } finally {
      await failing.close();
    }
  });

  it('publishes error on a rejection, and a per-call namespace on the context', async function () {
    await cache.set('s', 'text');
    await cache.increment('s').catch(() => undefined);
    await cache.get('k', { namespace: 'other' });
    const failed = recorder.events.filter((e) => e.event === 'error');
    expect(failed).to.have.length(1);
    expect(failed[0]!.ctx.op).to.equal('increment');
    expect(failed[0]!.ctx.fallback).to.equal(undefined);
    expect(recorder.settled().at(-1)).to.include({ op: 'get', namespace: 'other' });
  });

  it('traces cached() hits, misses and shared calls, each with the get it makes', async function () {
    let calls = 0;
    const load = cached(
      async function load(id: string) {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return `user ${id}`;
      },
      { cache },
    );
    await Promise.all([load('1'), load('1')]);
    await load('1');
    expect(calls).to.equal(1);
    const calls_ = recorder.settled().filter((ctx) => ctx.op === 'cached');
    expect(calls_.map(({ hit, shared }) => ({ hit, shared }))).to.deep.equal([
      { hit: false, shared: false },
      { hit: false, shared: true },
      { hit: true, shared: false },
    ]);
    expect(calls_[0]).to.include({ function: 'load', keyCount: 1, namespace: 'ns', alias: 'main' });
    // Each caller reads for itself: three gets, and the one computation's set.
    const inner = recorder.settled().filter((ctx) => ctx.op !== 'cached');
    expect(inner.map((ctx) => ctx.op).sort()).to.deep.equal(['get', 'get', 'get', 'set']);
  });

  it('says when cached() served a stale result', async function () {
    let now = 0;
    const clock = { now: () => now };
    const load = cached(async () => 'v', { cache, ttl: 1_000, staleTtl: 60_000, clock, key: 'k' });
    await load();
    now = 2_000;
    await load();
    const last = recorder
      .settled()
      .filter((ctx) => ctx.op === 'cached')
      .at(-1)!;
    expect(last).to.include({ hit: true, stale: true });
  });

  it('traces multiCached() with the ids found and the ids shared with another call', async function () {
    const batch = multiCached(
      async (ids: string[]) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return ids.map((id) => `v${id}`);
      },
      { cache },
    );
    await batch(['1']);
    await Promise.all([batch(['2']), batch(['1', '2', '3'])]);
    const calls = recorder.settled().filter((ctx) => ctx.op === 'multiCached');
    expect(calls.map(({ keyCount, hits, shared }) => ({ keyCount, hits, shared }))).to.deep.equal([
      { keyCount: 1, hits: 0, shared: false },
      { keyCount: 1, hits: 0, shared: false },
      { keyCount: 3, hits: 1, shared: true },
    ]);
  });

  it('names a registry cache after its alias', async function () {
    const registry = new CacheRegistry();
    registry.setConfig({ sessions: 'memory://?namespace=sess' });
    try {
      await registry.get('sessions').get('x');
      expect(recorder.settled()[0]).to.include({ alias: 'sessions', namespace: 'sess' });
    } finally {
      await registry.closeAll();
    }
  });

  it('refuses bad telemetry options with a TypeError naming the field', function () {
    expect(() => new Cache({ telemetry: { includeKey: true } as never })).to.throw(
      TypeError,
      /includeKey.*includeKeys/,
    );
    expect(() => new Cache({ telemetry: { keySanitizer: 'x' } as never })).to.throw(
      TypeError,
      /keySanitizer/,
    );
    expect(() => new Cache({ telemetry: 5 as never })).to.throw(TypeError, /telemetry/);
  });

  it('builds no context once its subscribers are gone: the fast path is back', async function () {
    recorder.stop();
    const channel = tracingChannel(OPERATION_CHANNEL);
    expect(channel.hasSubscribers).to.equal(false);
    const late = recordOperations();
    late.stop();
    await cache.set('a', 1);
    await cache.get('a');
    expect(late.events).to.deep.equal([]);
  });
});
