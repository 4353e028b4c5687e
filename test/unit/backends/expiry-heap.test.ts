import { expect } from 'chai';
import fc from 'fast-check';
import { ExpiryHeap } from '../../../lib/backends/expiry-heap.js';

describe('ExpiryHeap', function () {
  it('yields exactly the pushes due by a time, earliest first, and keeps the rest (property)', function () {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1_000 }), { maxLength: 200 }),
        fc.nat({ max: 1_000 }),
        (times, now) => {
          const heap = new ExpiryHeap<number>();
          times.forEach((at, id) => heap.push(at, id));
          const timeOf = (id: number): number => times[id]!;
          expect(heap.next).to.equal(times.length === 0 ? Infinity : Math.min(...times));

          const due = [...heap.popExpired(now)];
          const expected = times.flatMap((at, id) => (at <= now ? [id] : []));
          expect([...due].sort((a, b) => a - b)).to.deep.equal(expected);
          expect(due.map(timeOf)).to.deep.equal(due.map(timeOf).sort((a, b) => a - b));
          expect(heap.size).to.equal(times.length - due.length);
          const later = times.filter((at) => at > now);
          expect(heap.next).to.equal(later.length === 0 ? Infinity : Math.min(...later));

          const rest = [...heap.popExpired(Infinity)];
          expect(rest.every((id) => timeOf(id) > now)).to.equal(true);
          expect(rest.map(timeOf)).to.deep.equal(rest.map(timeOf).sort((a, b) => a - b));
          expect(heap.size).to.equal(0);
        },
      ),
    );
  });

  it('lets an item be pushed again: each push comes out once', function () {
    const heap = new ExpiryHeap<string>();
    heap.push(30, 'a');
    heap.push(10, 'b');
    heap.push(20, 'a');
    expect([...heap.popExpired(25)]).to.deep.equal(['b', 'a']);
    expect([...heap.popExpired(30)]).to.deep.equal(['a']);
  });
});
