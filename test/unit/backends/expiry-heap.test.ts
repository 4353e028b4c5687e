import { expect } from 'chai';
import fc from 'fast-check';
import { ExpiryHeap } from '../../../lib/backends/expiry-heap.js';

describe('ExpiryHeap', function () {
  it('yields exactly the current items due by a time, earliest first (property)', function () {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1_000 }), { maxLength: 200 }),
        fc.nat({ max: 1_000 }),
        (times, now) => {
          const heap = new ExpiryHeap<{ expiresAt: number; id: number }>();
          const items = times.map((expiresAt, id) => ({ expiresAt: expiresAt + 1, id }));
          items.forEach((item) => heap.push(item));
          // Re-time every third item: its old node becomes stale and must be skipped.
          items
            .filter((item) => item.id % 3 === 0)
            .forEach((item) => {
              item.expiresAt += 500;
              heap.push(item);
            });
          const due = [...heap.popExpired(now)];
          const expected = items.filter((item) => item.expiresAt <= now);
          expect(due.map((item) => item.id).sort()).to.deep.equal(expected.map((item) => item.id).sort());
          expect(due.map((item) => item.expiresAt)).to.deep.equal(
            [...due.map((item) => item.expiresAt)].sort((a, b) => a - b),
          );
        },
      ),
    );
  });
});
