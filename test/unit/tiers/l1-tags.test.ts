import { expect } from 'chai';
import { KeyHandle } from '../../../lib/backends/backend.js';
import { L1Store, type L1Tags } from '../../../lib/tiers/l1-store.js';
import { ManualClock } from '../../../lib/testing/clock.js';

function store(maxSize = 100): { l1: L1Store; clock: ManualClock } {
  const clock = new ManualClock();
  const l1 = new L1Store({
    maxSize,
    maxBytes: 0,
    ttlMs: 60_000,
    copy: 'reference',
    liveAtStart: true,
    clock,
  });
  return { l1, clock };
}

function read(l1: L1Store, key: string, value: unknown, tags?: L1Tags): boolean {
  return l1.fill(l1.begin(key), value, Infinity, 1, tags);
}

// A tag key's token, filled as lib/tiers/l1-tags.ts fills one.
function token(l1: L1Store, key: string, value: string): boolean {
  return l1.fill(l1.begin(key), value, Infinity, value.length, undefined, true);
}

const TAGS: L1Tags = { keys: ['tag:a', 'tag:b'], tokens: ['A1', 'B1'] };

// The L1's side of tagged entries (lib/tiers/l1-store.ts): each hit checks the entry's snapshot
// against the tokens the L1 holds for its tag keys, which are ordinary keys of the L1.
describe('L1Store: tagged entries', function () {
  it('serves a tagged entry while the L1 holds each of its tags with the token it was written with', function () {
    const { l1 } = store();
    token(l1, 'tag:a', 'A1');
    token(l1, 'tag:b', 'B1');
    read(l1, 'k', 'v', TAGS);
    expect(l1.get('k')).to.equal('v');
    expect(l1.getByHandle(new KeyHandle('k'))).to.equal('v');
  });

  it('keeps, but does not serve, a tagged entry whose tag the L1 does not hold; tagsOf names its snapshot', function () {
    const { l1 } = store();
    token(l1, 'tag:a', 'A1');
    read(l1, 'k', 'v', TAGS);
    expect(l1.get('k')).to.equal(undefined);
    expect(l1.getByHandle(new KeyHandle('k'))).to.equal(undefined);
    expect(l1.tagsOf('k')).to.deep.include(TAGS);
    expect(l1.token('tag:b')).to.equal(undefined);
    // Once the token is read (and filled), the entry is served again.
    token(l1, 'tag:b', 'B1');
    expect(l1.get('k')).to.equal('v');
  });

  it('drops a tagged entry once one of its tags holds another token (an invalidation)', function () {
    const { l1 } = store();
    token(l1, 'tag:a', 'A1');
    token(l1, 'tag:b', 'B1');
    read(l1, 'k', 'v', TAGS);
    l1.remove(['tag:b']);
    expect(l1.get('k'), 'its tag dropped').to.equal(undefined);
    token(l1, 'tag:b', 'B2');
    expect(l1.get('k')).to.equal(undefined);
    expect(l1.tagsOf('k'), 'gone, not waiting').to.equal(undefined);
    expect(l1.evictionsByReason().invalidation).to.equal(2);
  });

  it('sees a tag replaced or expired after hits that did not look at the tags', function () {
    const { l1, clock } = store();
    token(l1, 'tag:a', 'A1');
    token(l1, 'tag:b', 'B1');
    read(l1, 'k', 'v', TAGS);
    read(l1, 'k2', 'v2', { keys: ['tag:b'], tokens: ['B1'] });
    expect(l1.get('k')).to.equal('v');
    expect(l1.get('k')).to.equal('v');
    // Replaced without a removal first (a fill of the tag key with a newer token).
    token(l1, 'tag:a', 'A2');
    expect(l1.get('k')).to.equal(undefined);
    expect(l1.get('k2')).to.equal('v2');
    // The tag's token lives its own l1 ttl: the entry filled later outlives it.
    clock.advance(30_000);
    read(l1, 'k3', 'v3', { keys: ['tag:b'], tokens: ['B1'] });
    expect(l1.get('k3')).to.equal('v3');
    clock.advance(30_000);
    expect(l1.get('k3')).to.equal(undefined);
    expect(l1.get('k2')).to.equal(undefined);
  });

  it('never fills a token whose read an invalidation of its tag key overtook', function () {
    const { l1 } = store();
    token(l1, 'tag:b', 'B1');
    read(l1, 'k', 'v', TAGS);
    const ticket = l1.begin('tag:a');
    // The tag is invalidated while its token's read is on its way: what comes back may be the old one.
    l1.remove(['tag:a']);
    expect(l1.fill(ticket, 'A1', Infinity, 2)).to.equal(false);
    expect(l1.token('tag:a')).to.equal(undefined);
    expect(l1.get('k')).to.equal(undefined);
  });

  it('keeps its tags as recent as the entry in the LRU order', function () {
    const { l1 } = store(4);
    token(l1, 'tag:a', 'A1');
    token(l1, 'tag:b', 'B1');
    read(l1, 'k', 'v', TAGS);
    read(l1, 'x', 1);
    expect(l1.get('k')).to.equal('v'); // its tags become the most recent with it
    read(l1, 'y', 2); // evicts the least recent: x
    expect(l1.get('x')).to.equal(undefined);
    expect(l1.get('k')).to.equal('v');
  });

  it('serves no tagged entry while down, and a gap expires the tags with every entry', function () {
    const { l1 } = store();
    token(l1, 'tag:a', 'A1');
    token(l1, 'tag:b', 'B1');
    read(l1, 'k', 'v', TAGS);
    l1.down();
    expect(l1.get('k')).to.equal(undefined);
    expect(l1.tagsOf('k')).to.equal(undefined);
    expect(l1.token('tag:a')).to.equal(undefined);
    l1.up();
    // Expired with every entry (kept for staleIfError, never served as fresh).
    expect(l1.freshEntries).to.equal(0);
    expect(l1.get('k')).to.equal(undefined);
    expect(l1.token('tag:a')).to.equal(undefined);
    expect(l1.tagsOf('k')).to.equal(undefined);
  });

  it('drops a tag key expired by a write elsewhere, and never serves a tagged entry stale once its tag changed', function () {
    const { l1 } = store();
    token(l1, 'tag:a', 'A1');
    token(l1, 'tag:b', 'B1');
    read(l1, 'k', 'v', TAGS);
    expect(l1.get('k')).to.equal('v');
    expect(l1.kept('k'), 'kept while its tags hold').to.equal('v');
    // A bus set message, or a tracking invalidation, of one of its tag keys.
    l1.expire(['tag:a']);
    expect(l1.get('k')).to.equal(undefined);
    expect(l1.kept('k'), 'an invalidated entry is never served stale').to.equal(undefined);
    expect(l1.size).to.equal(2); // the tag key's token is gone, not kept
  });

  it('expires a tag token by l1.ttl like any entry', function () {
    const { l1, clock } = store();
    token(l1, 'tag:a', 'A1');
    clock.advance(30_000);
    token(l1, 'tag:b', 'B1');
    read(l1, 'k', 'v', TAGS);
    clock.advance(30_000);
    expect(l1.token('tag:a')).to.equal(undefined);
    expect(l1.get('k')).to.equal(undefined);
    expect(l1.tagsOf('k')).to.deep.include(TAGS);
  });
});
