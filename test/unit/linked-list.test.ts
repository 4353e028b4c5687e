import { expect } from 'chai';
import fc from 'fast-check';
import { LinkedList } from '../../lib/linked-list.js';

class Node {
  prev: Node | undefined = undefined;
  next: Node | undefined = undefined;
  constructor(readonly id: number) {}
}

function order(list: LinkedList<Node>): number[] {
  const ids: number[] = [];
  for (let node = list.oldest; node !== undefined; node = node.next) ids.push(node.id);
  const backwards: number[] = [];
  for (let node = list.newest; node !== undefined; node = node.prev) backwards.push(node.id);
  expect(backwards.reverse(), 'prev links agree with next links').to.deep.equal(ids);
  return ids;
}

describe('LinkedList (threaded through its nodes)', function () {
  it('behaves like an array under any sequence of append, remove and moveToEnd (property)', function () {
    const op = fc.tuple(fc.constantFrom('append', 'remove', 'moveToEnd'), fc.nat(7));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const nodes = Array.from({ length: 8 }, (_, id) => new Node(id));
        const list = new LinkedList<Node>();
        const model: number[] = [];
        for (const [name, id] of ops) {
          const held = model.includes(id);
          expect(list.holds(nodes[id]!)).to.equal(held);
          if (name === 'append' && !held) {
            list.append(nodes[id]!);
            model.push(id);
          } else if (name === 'remove' && held) {
            list.remove(nodes[id]!);
            model.splice(model.indexOf(id), 1);
          } else if (name === 'moveToEnd' && held) {
            list.moveToEnd(nodes[id]!);
            model.splice(model.indexOf(id), 1);
            model.push(id);
          }
          expect(order(list)).to.deep.equal(model);
        }
        list.clear();
        expect(order(list)).to.deep.equal([]);
      }),
    );
  });
});
