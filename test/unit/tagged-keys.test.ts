import { expect } from 'chai';
import { TaggedKeys } from '../../lib/tags/tagged-reads.js';

describe('TaggedKeys: the keys whose last get found a tagged entry', function () {
  it('expects a key once noted tagged, and forgets it once noted untagged', function () {
    const keys = new TaggedKeys();
    expect(keys.expects('a')).to.equal(false);
    keys.note('a', true);
    keys.note('a', true);
    expect(keys.expects('a')).to.equal(true);
    expect(keys.expects('b')).to.equal(false);
    keys.note('a', false);
    expect(keys.expects('a')).to.equal(false);
  });

  it('forgets the oldest key first once it holds 4,096', function () {
    const keys = new TaggedKeys();
    for (let i = 0; i < 4_096; i++) keys.note(`k${i}`, true);
    expect(keys.expects('k0')).to.equal(true);
    keys.note('one more', true);
    expect(keys.expects('k0')).to.equal(false);
    expect(keys.expects('k1')).to.equal(true);
    expect(keys.expects('one more')).to.equal(true);
  });
});
