import { expect } from 'chai';
import { KeyHandle } from '../../../lib/backends/backend.js';
import { L1Store, type L1StoreSettings } from '../../../lib/tiers/l1-store.js';
import { ManualClock } from '../../../lib/testing/clock.js';

function store(overrides: Partial<L1StoreSettings> = {}): { l1: L1Store; clock: ManualClock } {
  const clock = new ManualClock();
  const l1 = new L1Store({
    maxSize: 100,
    maxBytes: 0,
    ttlMs: 60_000,
    copy: 'reference',
    liveAtStart: true,
    clock,
    ...overrides,
  });
  return { l1, clock };
}

// A read as the cache makes one: the ticket first, then the fill with what came back.
function read(l1: L1Store, key: string, value: unknown, l2TtlMs = Infinity, size = 1): boolean {
  return l1.fill(l1.begin(key), value, l2TtlMs, size);
}

describe('L1Store', function () {
  it('serves what a read filled, the same object by reference', function () {
    const { l1 } = store();
    const value = { a: 1 };
    expect(read(l1, 'k', value)).to.equal(true);
    expect(l1.get('k')).to.equal(value);
    expect(l1.get('other')).to.equal(undefined);
  });

  it("gives each read a copy of its own with copy: 'clone'", function () {
    const { l1 } = store({ copy: 'clone' });
    const value = { a: 1 };
    read(l1, 'k', value);
    value.a = 2;
    const first = l1.get('k') as { a: number };
    expect(first).to.deep.equal({ a: 1 });
    first.a = 3;
    expect(l1.get('k')).to.deep.equal({ a: 1 });
  });

  it('caps an entry by l1.ttl, and by what was left of its L2 ttl when shorter', function () {
    const { l1, clock } = store({ ttlMs: 1_000 });
    read(l1, 'long', 'v', Infinity);
    read(l1, 'short', 'v', 300);
    clock.advance(299);
    expect(l1.get('short')).to.equal('v');
    clock.advance(1);
    expect(l1.get('short')).to.equal(undefined);
    expect(l1.get('long')).to.equal('v');
    clock.advance(700);
    expect(l1.get('long')).to.equal(undefined);
    expect(l1.size).to.equal(0);
  });

  it('evicts the least recently used beyond maxSize', function () {
    const { l1 } = store({ maxSize: 2 });
    read(l1, 'a', 1);
    read(l1, 'b', 2);
    l1.get('a');
    read(l1, 'c', 3);
    expect([l1.get('a'), l1.get('b'), l1.get('c')]).to.deep.equal([1, undefined, 3]);
    expect(l1.evictions).to.equal(1);
  });

  it('evicts beyond maxBytes, and keeps no entry larger than it', function () {
    const { l1 } = store({ maxBytes: 10 });
    read(l1, 'a', 'a', Infinity, 4);
    read(l1, 'b', 'b', Infinity, 4);
    read(l1, 'c', 'c', Infinity, 4);
    expect(l1.get('a')).to.equal(undefined);
    expect(l1.bytes).to.equal(8);
    expect(read(l1, 'huge', 'h', Infinity, 11)).to.equal(false);
    expect(l1.get('huge')).to.equal(undefined);
    expect(l1.bytes).to.equal(8);
  });

  it('never fills with a read that an invalidation of its key overtook (the race guard)', function () {
    const { l1 } = store();
    const slow = l1.begin('k');
    l1.expire(['k']);
    expect(l1.fill(slow, 'old', Infinity, 1)).to.equal(false);
    expect(l1.get('k')).to.equal(undefined);
    // A read that began after the invalidation fills.
    expect(read(l1, 'k', 'new')).to.equal(true);
    expect(l1.get('k')).to.equal('new');
  });

  it('lets another key fill while one key is invalidated, and forgets finished reads', function () {
    const { l1 } = store();
    const a = l1.begin('a');
    const b = l1.begin('b');
    l1.remove(['a']);
    expect(l1.fill(a, 1, Infinity, 1)).to.equal(false);
    expect(l1.fill(b, 2, Infinity, 1)).to.equal(true);
    // Two reads of one key, one invalidation between them: only the later one fills.
    const first = l1.begin('c');
    l1.remove(['c']);
    const second = l1.begin('c');
    expect(l1.fill(first, 'old', Infinity, 1)).to.equal(false);
    expect(l1.fill(second, 'new', Infinity, 1)).to.equal(true);
    expect(l1.get('c')).to.equal('new');
  });

  it('cancels every fill in flight and expires every entry on expireAll, keeping them for staleIfError', function () {
    const { l1 } = store();
    read(l1, 'a', 1);
    const inFlight = l1.begin('b');
    l1.expireAll();
    expect(l1.get('a')).to.equal(undefined);
    expect(l1.fill(inFlight, 2, Infinity, 1)).to.equal(false);
    expect(l1.size, 'kept').to.equal(1);
    expect(l1.kept('a')).to.equal(1);
  });

  it('cancels every fill in flight and drops every entry on removeAll', function () {
    const { l1 } = store();
    read(l1, 'a', 1, Infinity, 3);
    read(l1, 'b', 2, Infinity, 3);
    l1.expire(['b']);
    const inFlight = l1.begin('c');
    l1.removeAll();
    expect(l1.fill(inFlight, 3, Infinity, 1)).to.equal(false);
    expect([l1.size, l1.bytes]).to.deep.equal([0, 0]);
    expect([l1.kept('a'), l1.kept('b')]).to.deep.equal([undefined, undefined]);
    expect(read(l1, 'a', 4)).to.equal(true);
    expect(l1.get('a')).to.equal(4);
  });

  describe('entries expired by a write elsewhere or a gap (kept for staleIfError)', function () {
    it('never serves an expired entry as fresh, but keeps it until its own life ends', function () {
      const { l1, clock } = store({ ttlMs: 1_000 });
      const value = { v: 1 };
      read(l1, 'k', value, 800);
      l1.expire(['k']);
      expect(l1.get('k'), 'get').to.equal(undefined);
      expect(l1.getByHandle(new KeyHandle('k')), 'getByHandle').to.equal(undefined);
      expect(l1.get('k'), 'a second get').to.equal(undefined);
      expect(l1.size).to.equal(1);
      expect(l1.kept('k'), 'the same object, by reference').to.equal(value);
      clock.advance(799);
      expect(l1.kept('k')).to.equal(value);
      clock.advance(1);
      expect(l1.kept('k'), 'past the life its fill gave it (its L2 ttl)').to.equal(undefined);
      expect(l1.get('k')).to.equal(undefined);
      expect(l1.size, 'dropped when read past its life').to.equal(0);
    });

    it('keeps nothing for a key never held, or held and then deleted', function () {
      const { l1 } = store();
      expect(l1.kept('never')).to.equal(undefined);
      read(l1, 'a', 1);
      read(l1, 'b', 2);
      l1.expire(['a', 'b']);
      l1.remove(['a']);
      expect(l1.kept('a'), 'a delete drops an expired entry').to.equal(undefined);
      read(l1, 'c', 3);
      l1.remove(['c']);
      expect(l1.kept('c'), 'and a fresh one').to.equal(undefined);
      expect(l1.kept('b')).to.equal(2);
      expect(l1.size).to.equal(1);
    });

    it('hands out a copy of the kept value with copy: clone', function () {
      const { l1 } = store({ copy: 'clone' });
      read(l1, 'k', { v: 1 });
      l1.expire(['k']);
      const copy = l1.kept('k') as { v: number };
      copy.v = 2;
      expect(l1.kept('k')).to.deep.equal({ v: 1 });
    });

    it('counts kept entries against maxSize and maxBytes, and evicts them as any other (LRU)', function () {
      const { l1 } = store({ maxSize: 2, maxBytes: 10 });
      read(l1, 'a', 1, Infinity, 4);
      read(l1, 'b', 2, Infinity, 4);
      l1.expire(['a']);
      expect([l1.size, l1.freshEntries, l1.bytes]).to.deep.equal([2, 1, 8]);
      read(l1, 'c', 3, Infinity, 4);
      expect(l1.kept('a'), 'the least recently used, evicted').to.equal(undefined);
      expect([l1.size, l1.bytes, l1.evictions]).to.deep.equal([2, 8, 1]);
      l1.expire(['b', 'c']);
      read(l1, 'd', 4, Infinity, 4);
      expect(l1.kept('b')).to.equal(undefined);
      expect(l1.kept('c')).to.equal(3);
      expect([l1.size, l1.freshEntries, l1.bytes]).to.deep.equal([2, 1, 8]);
      l1.expireAll();
      expect(l1.freshEntries).to.equal(0);
      l1.removeAll();
      read(l1, 'e', 5);
      expect([l1.size, l1.freshEntries]).to.deep.equal([1, 1]);
    });

    it('keeps what a gap expired, while degraded and after it', function () {
      const { l1 } = store({ liveAtStart: false });
      l1.up();
      read(l1, 'a', 1);
      l1.down();
      expect(l1.get('a')).to.equal(undefined);
      expect(l1.kept('a'), 'in the gap').to.equal(1);
      l1.up();
      expect(l1.get('a'), 'filled before the gap').to.equal(undefined);
      expect(l1.kept('a'), 'after it').to.equal(1);
      expect(read(l1, 'a', 2)).to.equal(true);
      expect(l1.get('a'), 'a fill after the gap replaces it').to.equal(2);
    });

    it('refills over a kept entry, and a read that misses drops it (the key is gone from the L2)', function () {
      const { l1 } = store();
      read(l1, 'a', 1);
      l1.expire(['a']);
      expect(read(l1, 'a', 2)).to.equal(true);
      expect([l1.get('a'), l1.size]).to.deep.equal([2, 1]);
      l1.expire(['a']);
      l1.missed(l1.begin('a'));
      expect(l1.kept('a')).to.equal(undefined);
      // A miss that an invalidation overtook says nothing of what the key holds now.
      read(l1, 'b', 1);
      l1.expire(['b']);
      const slow = l1.begin('b');
      l1.expire(['b']);
      l1.missed(slow);
      expect(l1.kept('b')).to.equal(1);
      // A miss never drops a fresh entry (a read past the L1 missed, say with l1: false).
      read(l1, 'c', 1);
      l1.missed(l1.begin('c'));
      expect(l1.get('c')).to.equal(1);
    });

    it('counts an expired entry once, as invalidated, however it goes afterwards', function () {
      const { l1, clock } = store({ ttlMs: 1_000 });
      read(l1, 'a', 1);
      read(l1, 'b', 2);
      read(l1, 'c', 3);
      l1.expire(['a', 'b']);
      l1.expire(['a']);
      l1.remove(['a']);
      l1.remove(['c']);
      clock.advance(1_000);
      l1.get('b');
      expect(l1.evictionsByReason()).to.deep.equal({ size: 0, bytes: 0, ttl: 0, invalidation: 3 });
      expect(l1.size).to.equal(0);
    });
  });

  it('serves nothing while down, fills nothing across a gap, and expires what came before it', function () {
    const { l1 } = store({ liveAtStart: false });
    expect(l1.coherence).to.equal('degraded');
    expect(read(l1, 'early', 1)).to.equal(false);
    const changes: string[] = [];
    l1.onCoherence = (coherence) => changes.push(coherence);
    l1.up();
    read(l1, 'a', 1);
    const acrossTheGap = l1.begin('b');
    l1.down();
    expect(l1.coherence).to.equal('degraded');
    expect(l1.get('a')).to.equal(undefined);
    l1.up();
    expect(l1.fill(acrossTheGap, 2, Infinity, 1)).to.equal(false);
    expect(l1.get('a'), 'filled before the gap').to.equal(undefined);
    expect(read(l1, 'a', 3)).to.equal(true);
    expect(l1.get('a')).to.equal(3);
    expect(changes).to.deep.equal(['live', 'degraded', 'live']);
    // A source may report a resubscription it made without a gap seen first (a failover).
    l1.up();
    expect(l1.get('a')).to.equal(undefined);
    expect(changes).to.have.length(3);
  });

  it('finds an entry by a key handle, and never by a hint to a slot another key took since', function () {
    const { l1 } = store({ maxSize: 1 });
    const a = new KeyHandle('a');
    const b = new KeyHandle('b');
    read(l1, 'a', 1);
    expect(l1.getByHandle(a)).to.equal(1);
    expect(a.hint).to.be.at.least(0);
    // 'b' evicts 'a' and takes its slot: a's hint now points at b's entry.
    read(l1, 'b', 2);
    expect(l1.getByHandle(a)).to.equal(undefined);
    expect(l1.getByHandle(b)).to.equal(2);
    expect(l1.getByHandle(new KeyHandle('missing'))).to.equal(undefined);
  });
});
