import { expect } from 'chai';
import fc from 'fast-check';
import { ExpiryHeap } from '../../../lib/backends/expiry-heap.js';

/** Pops everything due by `now`, checking each comes out with the time it was pushed with. */
function popIds(heap: ExpiryHeap<number>, now: number, times: readonly number[]): number[] {
  return [...heap.popExpired(now)].map(([at, id]) => {
    expect(at).to.equal(times[id]);
    return id;
  });
}

describe('ExpiryHeap', function () {
  for (const build of ['pushed one by one', 'built at once (replace)'] as const) {
    it(`yields exactly the pushes due by a time, earliest first, and keeps the rest, ${build} (property)`, function () {
      fc.assert(
        fc.property(
          fc.array(fc.nat({ max: 1_000 }), { maxLength: 200 }),
          fc.nat({ max: 1_000 }),
          (times, now) => {
            const heap = new ExpiryHeap<number>();
            if (build === 'pushed one by one') times.forEach((at, id) => heap.push(at, id));
            else
              heap.replace(
                [...times],
                times.map((_, id) => id),
              );
            const timeOf = (id: number): number => times[id]!;
            expect(heap.next).to.equal(times.length === 0 ? Infinity : Math.min(...times));

            const due = popIds(heap, now, times);
            const expected = times.flatMap((at, id) => (at <= now ? [id] : []));
            expect([...due].sort((a, b) => a - b)).to.deep.equal(expected);
            expect(due.map(timeOf)).to.deep.equal(due.map(timeOf).sort((a, b) => a - b));
            expect(heap.size).to.equal(times.length - due.length);
            const later = times.filter((at) => at > now);
            expect(heap.next).to.equal(later.length === 0 ? Infinity : Math.min(...later));

            const rest = popIds(heap, Infinity, times);
            expect(rest.every((id) => timeOf(id) > now)).to.equal(true);
            expect(rest.map(timeOf)).to.deep.equal(rest.map(timeOf).sort((a, b) => a - b));
            expect(heap.size).to.equal(0);
          },
        ),
      );
    });
  }

  it('lets an item be pushed again: each push comes out once, with its own time', function () {
    const heap = new ExpiryHeap<string>();
    heap.push(30, 'a');
    heap.push(10, 'b');
    heap.push(20, 'a');
    expect([...heap.popExpired(25)]).to.deep.equal([
      [10, 'b'],
      [20, 'a'],
    ]);
    expect([...heap.popExpired(30)]).to.deep.equal([[30, 'a']]);
  });

  it('yields a push made while popping, if it is due by then', function () {
    const heap = new ExpiryHeap<string>();
    heap.push(10, 'a');
    const popped: string[] = [];
    for (const [, item] of heap.popExpired(20)) {
      popped.push(item);
      if (item === 'a') {
        heap.push(15, 'b');
        heap.push(25, 'c');
      }
    }
    expect(popped).to.deep.equal(['a', 'b']);
    expect(heap.next).to.equal(25);
  });
});
