import { expect } from 'chai';
import { Cache, ConfigError, MemoryBackend } from '../../../lib/index.js';
import { invalidationSettingsOf, l1SettingsOf } from '../../../lib/tiers/tier-options.js';
import { DelayedBackend } from '../../support/async-backend.js';
import { recordingLogger } from '../../support/recording-logger.js';

describe('l1 and invalidation options', function () {
  it('reads l1 as true, a maxSize, or an object, with the defaults', function () {
    expect(l1SettingsOf(undefined)).to.equal(undefined);
    expect(l1SettingsOf(false)).to.equal(undefined);
    expect(l1SettingsOf(true)).to.deep.equal({
      maxSize: 10_000,
      maxBytes: 0,
      ttlMs: 60_000,
      copy: 'reference',
    });
    expect(l1SettingsOf(500)).to.include({ maxSize: 500, ttlMs: 60_000 });
    expect(l1SettingsOf({ maxSize: 5, maxBytes: 1024, ttl: '10s', copy: 'clone' })).to.deep.equal({
      maxSize: 5,
      maxBytes: 1024,
      ttlMs: 10_000,
      copy: 'clone',
    });
  });

  it('refuses a bad l1 with an error naming the option', function () {
    expect(() => l1SettingsOf('big')).to.throw(TypeError, /l1 must be/);
    expect(() => l1SettingsOf(0)).to.throw(RangeError, /l1 option maxSize/);
    expect(() => l1SettingsOf({ maxSzie: 5 })).to.throw(TypeError, /did you mean "maxSize"/);
    expect(() => l1SettingsOf({ ttl: 0 })).to.throw(RangeError, /l1 option ttl/);
    expect(() => l1SettingsOf({ copy: 'deep' })).to.throw(RangeError, /l1 option copy/);
  });

  it('reads invalidation as a mode or an object', function () {
    expect(invalidationSettingsOf(undefined)).to.deep.equal({
      type: undefined,
      channel: undefined,
      healthCheckMs: 1_000,
    });
    expect(invalidationSettingsOf('tracking')).to.include({ type: 'tracking' });
    expect(invalidationSettingsOf({ type: 'bus', channel: 'mine', healthCheck: null })).to.deep.equal({
      type: 'bus',
      channel: 'mine',
      healthCheckMs: 0,
    });
    expect(() => invalidationSettingsOf('pubsub')).to.throw(RangeError, /invalidation option type/);
    expect(() => invalidationSettingsOf({ channel: 'x' })).to.throw(TypeError, /needs a type/);
    expect(() => invalidationSettingsOf({ type: 'bus', channel: '' })).to.throw(RangeError, /channel/);
  });

  it('refuses an l1 over a memory backend', function () {
    const make = (): Cache => new Cache({ backend: new MemoryBackend(), l1: true });
    expect(make)
      .to.throw(ConfigError, /l1 over the memory backend/)
      .with.property('path', 'l1');
  });

  it('refuses invalidation without an l1, and the bus over a backend other than Redis', function () {
    expect(() => new Cache({ invalidation: 'bus' }))
      .to.throw(ConfigError)
      .with.property('path', 'invalidation');
    const backend = new DelayedBackend(new MemoryBackend(), 1);
    expect(() => new Cache({ backend, l1: true })).to.throw(ConfigError, /needs invalidation: 'none'/);
    expect(() => new Cache({ backend, l1: true, invalidation: 'bus' })).to.throw(
      ConfigError,
      /needs a Redis backend/,
    );
  });

  it("runs an L1 over another async backend with invalidation 'none' (bounded by l1.ttl, with a warning)", async function () {
    const { logger, records } = recordingLogger();
    const backend = new DelayedBackend(new MemoryBackend(), 1);
    const cache = new Cache<string>({ backend, l1: { ttl: '1m' }, invalidation: 'none', logger });
    expect(cache.coherence).to.equal('off');
    await new Promise((resolve) => setImmediate(resolve));
    const warned = records.filter(
      (record) => record.level === 40 && /invalidation 'none'/.test(String(record.msg)),
    );
    expect(warned).to.have.length(1);
    await cache.set('k', 'v');
    expect(cache.peek('k'), 'a write does not fill').to.equal(undefined);
    expect(await cache.get('k')).to.equal('v');
    expect(cache.peek('k')).to.equal('v');
    // Changed behind the cache's back: the L1 answers until told otherwise, or read past.
    await backend.set('k', 'changed', 0);
    expect(await cache.get('k')).to.equal('v');
    expect(await cache.get('k', { l1: false })).to.equal('changed');
    expect(await cache.get('k'), 'a read past the L1 refills it').to.equal('changed');
    await cache.delete('k');
    expect(cache.peek('k')).to.equal(undefined);
    await cache.close();
  });

  it('peeks a memory backend synchronously, and answers undefined elsewhere', async function () {
    const memory = new Cache<string>({ namespace: 'n' });
    await memory.set('k', 'v');
    expect(memory.peek('k')).to.equal('v');
    expect(memory.peek('missing')).to.equal(undefined);
    expect(() => memory.peek('')).to.throw(TypeError);
    expect(memory.coherence).to.equal('off');
    const remote = new Cache<string>({ backend: new DelayedBackend(new MemoryBackend(), 1) });
    await remote.set('k', 'v');
    expect(remote.peek('k')).to.equal(undefined);
    await memory.close();
    expect(memory.peek('k')).to.equal(undefined);
    await remote.close();
  });
});
