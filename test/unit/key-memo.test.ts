import { expect } from 'chai';
import fc from 'fast-check';
import { MemoryBackend } from '../../lib/index.js';
import { KEY_MEMO_LIMIT, KEY_MEMO_MAX_LENGTH, KeyMemo, memoLimitFor } from '../../lib/key-memo.js';

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
    expect(memo.get('a')).to.equal(first); // found again: marked
    memo.get('b');
    memo.get('c'); // full: the sweep keeps 'a' (found again) and drops 'b'
    expect(memo.get('a')).to.equal(first);
    memo.get('d'); // full ('a', 'c'): 'a' was found again since the sweep, 'c' was not
    memo.get('e'); // full ('a', 'd'): 'a' was not found since the last sweep, so it is dropped
    const again = memo.get('a');
    expect(again).to.not.equal(first);
    expect(again).to.include({ key: 'ns:a', hint: -1 });
  });

  it('keeps a key found again since the last sweep, and drops the ones that were not', function () {
    const { memo, builds } = countingMemo(3);
    memo.get('hot');
    memo.get('x');
    memo.get('hot');
    memo.get('y');
    memo.get('z'); // full: the sweep keeps 'hot' and drops 'x' and 'y'
    memo.get('hot');
    memo.get('x');
    expect(builds.get('hot')).to.equal(1);
    expect(builds.get('x')).to.equal(2);
  });

  it('frees a quarter of itself even when every key is in use, dropping the longest remembered', function () {
    const { memo, builds } = countingMemo(4);
    for (const input of ['a', 'b', 'c', 'd']) memo.get(input);
    for (const input of ['a', 'b', 'c', 'd']) memo.get(input);
    memo.get('e'); // full and every key found again: 'a', remembered first, makes room
    expect(memo.size).to.equal(4);
    for (const input of ['b', 'c', 'd', 'e', 'a']) memo.get(input);
    expect(builds.get('a')).to.equal(2);
    expect(['b', 'c', 'd', 'e'].map((input) => builds.get(input))).to.deep.equal([1, 1, 1, 1]);
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

  it('always gives the built string and never holds more than its limit (property)', function () {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }),
        (limit, inputs) => {
          const { memo } = countingMemo(limit);
          for (const input of inputs) {
            expect(memo.get(input).key).to.equal(`ns:${input}`);
            expect(memo.size).to.be.at.most(limit);
          }
        },
      ),
    );
  });

  it('passes itself by while the inputs in use outnumber it, then remembers again', function () {
    const { memo, builds } = countingMemo(4);
    const distinct = Array.from({ length: 13 }, (_, i) => `k${i}`);
    // The first fill starts from nothing (its misses are no sign); after the first sweep every
    // input misses again, and at the second sweep the memo stops remembering for a while.
    for (const input of distinct.slice(0, 9)) memo.get(input);
    const size = memo.size;
    for (const input of distinct.slice(9, 12)) expect(memo.get(input).key).to.equal(`ns:${input}`);
    expect(memo.size, 'nothing remembered while passed by').to.equal(size);
    // The bypass lasts one memo's worth of inputs; then a hot key is remembered again.
    memo.get(distinct[12]!);
    for (let i = 0; i < 10; i++) expect(memo.get('hot').key).to.equal('ns:hot');
    expect(builds.get('hot')).to.equal(1);
  });

  it('keeps remembering a working set that fits, however it is read in turn', function () {
    const { memo, builds } = countingMemo(8);
    for (let round = 0; round < 20; round++) for (let i = 0; i < 8; i++) memo.get(`k${i}`);
    expect([...builds.values()].every((count) => count === 1)).to.equal(true);
  });

  it('is sized to a memory backend larger than its default, so a whole cache of keys stays hot', function () {
    expect(memoLimitFor(new MemoryBackend({ maxSize: 250_000 }))()).to.equal(250_000);
    expect(memoLimitFor(new MemoryBackend())()).to.equal(KEY_MEMO_LIMIT);
    expect(memoLimitFor(new MemoryBackend({ maxSize: 100 }))()).to.equal(KEY_MEMO_LIMIT);
    expect(memoLimitFor({ name: 'redis' })()).to.equal(KEY_MEMO_LIMIT);
    // Bounded by bytes only: as many as the backend holds, asked again at each sweep.
    const unbounded = new MemoryBackend({ maxSize: Infinity });
    const limit = memoLimitFor(unbounded);
    expect(limit()).to.equal(KEY_MEMO_LIMIT);
    for (let i = 0; i < KEY_MEMO_LIMIT + 5; i++) unbounded.set(`k${i}`, 'v', 0);
    expect(limit()).to.equal(KEY_MEMO_LIMIT + 5);
  });
});
