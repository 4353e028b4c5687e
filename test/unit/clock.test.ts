import { expect } from 'chai';
import sinon from 'sinon';
import { systemClock } from '../../lib/index.js';

describe('systemClock', function () {
  it('reads Date.now() afresh while Date is faked, and sets no timer of its own', function () {
    const before = systemClock.now();
    // Synchronously, so that no timer can clear the reading: wait for the next millisecond.
    while (Date.now() <= before);
    const fake = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    expect(systemClock.now()).to.equal(Date.UTC(2026, 0, 1));
    fake.tick(1);
    expect(systemClock.now()).to.equal(Date.UTC(2026, 0, 1) + 1);
    fake.setSystemTime(Date.UTC(2030, 0, 1));
    expect(systemClock.now()).to.equal(Date.UTC(2030, 0, 1));
    expect(fake.countTimers()).to.equal(0);
    fake.restore();
    // Back on the real clock: not the faked time, and not the reading from before the fake.
    const after = systemClock.now();
    expect(after).to.be.above(before);
    expect(after).to.be.at.most(Date.now());
  });

  it('never runs ahead of Date.now(), and reuses a reading for at most 1 000 calls', function () {
    const start = Date.now();
    // Spin (synchronously, so no timer can clear the reading) until the millisecond changes.
    while (Date.now() === start);
    let last = 0;
    for (let i = 0; i < 1_000; i++) {
      last = systemClock.now();
      expect(last).to.be.at.most(Date.now());
    }
    expect(last).to.be.above(start);
  });

  it('takes a new reading once the event loop has run its timers a millisecond later', async function () {
    systemClock.now();
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect(systemClock.now()).to.be.above(start);
  });
});
