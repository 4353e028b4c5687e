import { expect } from 'chai';
import fc from 'fast-check';
import {
  mergePrefixes,
  PrefixRegistry,
  trackingArguments,
} from '../../../../lib/backends/redis/tracking-prefixes.js';
import { isRefusal, TrackingRefusedError } from '../../../../lib/backends/redis/tracking-refused.js';
import { InvalidationRefusedError } from '../../../../lib/tiers/invalidation.js';
import { LarderError } from '../../../../lib/errors.js';

// Redis' own test (tracking.c, checkPrefixCollisionsOrReply): two prefixes collide when either
// starts with the other.
const overlap = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);

describe('tracking prefixes', function () {
  it('keeps the shorter of two overlapping prefixes, and prefixes that do not overlap', function () {
    expect(mergePrefixes(['app:users:', 'app:', 'shop:'])).to.deep.equal(['app:', 'shop:']);
    expect(mergePrefixes(['app:', 'apple:'])).to.deep.equal(['app:', 'apple:']);
    expect(mergePrefixes(['app:', 'app:'])).to.deep.equal(['app:']);
    expect(mergePrefixes(['app:', ''])).to.deep.equal(['']);
    expect(mergePrefixes([])).to.deep.equal([]);
  });

  it('merges into a set with no overlap that watches exactly the keys the prefixes watch', function () {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ':', 'é'), maxLength: 4 });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 8 }), fc.array(text, { maxLength: 8 }), (prefixes, keys) => {
        const merged = mergePrefixes(prefixes);
        for (const [i, a] of merged.entries()) {
          for (const b of merged.slice(i + 1)) expect(overlap(a, b), `${a} / ${b}`).to.equal(false);
        }
        expect(merged.every((prefix) => prefixes.includes(prefix))).to.equal(true);
        for (const key of [...keys, ...prefixes]) {
          const watched = prefixes.some((prefix) => key.startsWith(prefix));
          expect(
            merged.some((prefix) => key.startsWith(prefix)),
            key,
          ).to.equal(watched);
        }
      }),
    );
  });

  it('sends the empty prefix as BCAST with no PREFIX, which Redis reads as every key', function () {
    expect(trackingArguments('7', ['app:', 'shop:'])).to.deep.equal([
      'TRACKING',
      'ON',
      'REDIRECT',
      '7',
      'BCAST',
      'PREFIX',
      'app:',
      'PREFIX',
      'shop:',
    ]);
    expect(trackingArguments('7', [''])).to.deep.equal(['TRACKING', 'ON', 'REDIRECT', '7', 'BCAST']);
  });

  it('counts registrations, and says when the merged set changed', function () {
    const registry = new PrefixRegistry();
    expect(registry.add('app:users:')).to.equal(true);
    expect(registry.add('app:users:')).to.equal(false);
    expect(registry.add('app:')).to.equal(true);
    expect(registry.merged).to.deep.equal(['app:']);
    expect(registry.add('app:orders:')).to.equal(false);
    expect(registry.remove('app:')).to.equal(true);
    expect(registry.merged).to.deep.equal(['app:orders:', 'app:users:']);
    expect(registry.remove('app:users:')).to.equal(false);
    expect(registry.remove('app:users:')).to.equal(true);
    expect(registry.remove('never:')).to.equal(false);
    expect(registry.merged).to.deep.equal(['app:orders:']);
  });
});

describe('tracking refusals', function () {
  it('tells a refusal for good from a reply that says "not now"', function () {
    for (const message of [
      "NOPERM this user has no permissions to run the 'client|tracking' command",
      "ERR unknown subcommand 'TRACKING'. Try CLIENT HELP.",
      "ERR unknown command 'CLIENT', with args beginning with: 'TRACKING'",
      'ERR command not allowed on this service',
    ]) {
      expect(isRefusal(new Error(message)), message).to.equal(true);
    }
    for (const message of [
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script.',
      'MASTERDOWN Link with MASTER is down',
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
    ]) {
      expect(isRefusal(new Error(message)), message).to.equal(false);
    }
  });

  it('is an InvalidationRefusedError of kind tracking that names its reason and node', function () {
    const denied = new TrackingRefusedError('127.0.0.1:7000', new Error('NOPERM no permissions'));
    expect(denied).to.be.instanceOf(InvalidationRefusedError).and.instanceOf(LarderError);
    expect(denied).to.include({
      code: 'LARDER_INVALIDATION_REFUSED',
      kind: 'tracking',
      reason: 'permission',
      node: '127.0.0.1:7000',
      name: 'TrackingRefusedError',
    });
    expect(denied.message).to.match(/127\.0\.0\.1:7000.*NOPERM/);
    expect(new TrackingRefusedError('n', new Error("ERR unknown subcommand 'TRACKING'")).reason).to.equal(
      'unsupported',
    );
  });
});
