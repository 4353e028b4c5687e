import { expect } from 'chai';
import fc from 'fast-check';
import { KEY_MEMO_MAX_LENGTH, KeyMemo } from '../../lib/key-memo.js';

/** A memo whose builder counts how often it builds each input. */
function countingMemo(limit: number): { memo: KeyMemo<string>; builds: Map<string, number> } {
  const builds = new Map<string, number>();
  const memo = new KeyMemo<string>(limit, (input) => {
    builds.set(input, (builds.get(input) ?? 0) + 1);
    return `ns:${input}`;
  });
  return { memo, builds };
}

describe('KeyMemo', function () {
  it('gives what the builder gives, building each input once while it is remembered', function () {
    const { memo, builds } = countingMemo(10);
    for (let round = 0; round < 3; round++) {
      for (const input of ['a', 'b', 'c']) expect(memo.get(input).key).to.equal(`ns:${input}`);
    }
    expect([...builds.values()]).to.deep.equal([1, 1, 1]);
  });

  it('gives the same remembered key (and so the same hint) for an input while it is remembered', function () {
    const { memo } = countingMemo(2);
    const first = memo.get('a');
    first.hint = 7;
    expect(memo.get('a')).to.equal(first);
    memo.get('b');
    memo.get('c'); // the young generation ('a', 'b') turns over and becomes the old one
    expect(memo.get('a')).to.equal(first); // found in the old one, moved back to the young
    memo.get('d'); // turnover: ('c', 'a') become the old generation
    memo.get('e');
    memo.get('f'); // turnover: ('d', 'e') become the old generation; 'a' is dropped
    const again = memo.get('a');
    expect(again).to.not.equal(first);
    expect(again).to.include({ key: 'ns:a', hint: -1 });
  });

  it('keeps an input that is still in use when its generation is dropped', function () {
    const { memo, builds } = countingMemo(2);
    memo.get('hot');
    memo.get('x');
    // The young generation is full: 'hot' and 'x' become the old one.
    memo.get('y');
    memo.get('hot'); // found in the old generation: moved to the young one, not rebuilt
    memo.get('z'); // the young generation ('y', 'hot') turns over; 'x' is dropped
    expect(builds.get('hot')).to.equal(1);
    memo.get('hot');
    memo.get('x');
    expect(builds.get('hot')).to.equal(1);
    expect(builds.get('x')).to.equal(2);
  });

  it('never remembers a string input longer than KEY_MEMO_MAX_LENGTH, and still gives its key', function () {
    const { memo, builds } = countingMemo(10);
    const long = 'x'.repeat(KEY_MEMO_MAX_LENGTH + 1);
    expect(memo.get(long).key).to.equal(`ns:${long}`);
    expect(memo.get(long).key).to.equal(`ns:${long}`);
    expect(builds.get(long)).to.equal(2);
    expect(memo.size).to.equal(0);
    memo.get('x'.repeat(KEY_MEMO_MAX_LENGTH));
    expect(memo.size).to.equal(1);
  });

  it('always gives the built string and never holds more than twice its limit (property)', function () {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }),
        (limit, inputs) => {
          const { memo } = countingMemo(limit);
          for (const input of inputs) {
            expect(memo.get(input).key).to.equal(`ns:${input}`);
            expect(memo.size).to.be.at.most(2 * limit);
          }
        },
      ),
    );
  });
});
