import { expect } from 'chai';
import { Redis } from 'ioredis';
import { TrackingSource, trackingSource } from '../../../../lib/backends/redis/tracking.js';
import type { InvalidationContext } from '../../../../lib/tiers/invalidation.js';
import { recordingLogger } from '../../../support/recording-logger.js';
import { RecordingSink } from '../../../support/recording-sink.js';

describe('TrackingSource', function () {
  // Never connected: nothing here reaches a network.
  const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true });
  const context = (healthCheckMs: number): InvalidationContext => ({
    client,
    prefixes: ['app:'],
    channel: '',
    healthCheckMs,
    logger: recordingLogger().logger,
  });
  after(() => client.disconnect());

  it('is the tracking kind, and refuses a health-check interval that is not a duration', function () {
    expect(trackingSource(context(0)))
      .to.be.instanceOf(TrackingSource)
      .and.include({ kind: 'tracking' });
    for (const bad of [-1, NaN, Infinity, '1s' as unknown as number]) {
      expect(() => trackingSource(context(bad)), String(bad)).to.throw(RangeError, /healthCheckMs/);
    }
  });

  it('opens nothing when closed before it starts, and starts once', async function () {
    const source = trackingSource(context(1_000));
    await source.close();
    await source.close();
    const sink = new RecordingSink();
    await source.start(sink);
    expect(sink.events).to.deep.equal([]);
    expect(client.status).to.equal('wait');
    let again: unknown;
    await source.start(sink).catch((error: unknown) => (again = error));
    expect(again).to.be.instanceOf(Error);
  });
});
