import { expect } from 'chai';
import sinon from 'sinon';
import { SlotTable } from '../../../lib/backends/slot-table.js';
import { Sweeper } from '../../../lib/backends/sweeper.js';

describe('Sweeper', function () {
  let timers: sinon.SinonFakeTimers;
  let table: SlotTable;
  let removed: string[];
  let sweeper: Sweeper;

  beforeEach(function () {
    timers = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout'] });
    table = new SlotTable(100);
    removed = [];
    const remove = (slot: number): void => {
      removed.push(table.keys[slot]!);
      table.remove(slot);
    };
    sweeper = new Sweeper(table, { now: () => timers.now }, 10, remove);
  });

  /** Stores `key` expiring `ttl` from now, as the backend writes an entry. */
  function write(key: string, ttl: number, slot?: number): number {
    const at = timers.now + ttl;
    if (slot === undefined) slot = table.add(key, key, at, 0);
    else table.expiresAt[slot] = at;
    sweeper.schedule(slot, at, 1);
    return slot;
  }

  it('pushes a rewritten entry again only when its expiry comes earlier', function () {
    const slot = write('k', 100);
    write('k', 200, slot);
    write('k', 300, slot);
    expect(sweeper.pending).to.equal(1);
    write('k', 50, slot);
    expect(sweeper.pending).to.equal(2);
  });

  it('finds an entry rewritten later still alive, pushes it at its expiry, and reclaims it then', function () {
    const slot = write('k', 100);
    write('k', 500, slot);
    timers.tick(100);
    expect(removed).to.deep.equal([]);
    expect(sweeper.pending).to.equal(1);
    expect(sweeper.aimedAt).to.equal(1_000_000 + 500);
    timers.tick(400);
    expect(removed).to.deep.equal(['k']);
    expect(sweeper.pending).to.equal(0);
    expect(timers.countTimers()).to.equal(0);
  });

  it("covers a new entry in a freed slot with the old entry's push", function () {
    const slot = write('old', 100);
    table.remove(slot);
    const again = write('new', 300);
    expect(again).to.equal(slot);
    expect(sweeper.pending).to.equal(1);
    timers.tick(300);
    expect(removed).to.deep.equal(['new']);
  });

  it('keeps nothing covered after clear', function () {
    write('k', 100);
    table.clear();
    sweeper.clear();
    expect(sweeper.pending).to.equal(0);
    expect(timers.countTimers()).to.equal(0);
    write('k', 200);
    expect(sweeper.pending).to.equal(1);
    timers.tick(200);
    expect(removed).to.deep.equal(['k']);
  });
});
