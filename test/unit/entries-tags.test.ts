import { expect } from 'chai';
import { Cache } from '../../lib/index.js';
describe('entries with tags', () => {
  it('yields a tagged entry as its value, and not once invalidated', async () => {
    const cache = new Cache<{ n: number }>({ namespace: 'e' });
    await cache.set('a', { n: 1 }, { tags: ['t'] });
    await cache.set('b', { n: 2 });
    const seen: [string, unknown][] = [];
    for await (const entry of cache.entries('*')) seen.push(entry);
    expect(seen.sort()).to.deep.equal([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ]);
    await cache.invalidateTags(['t']);
    const after: [string, unknown][] = [];
    for await (const entry of cache.entries('*')) after.push(entry);
    expect(after).to.deep.equal([['b', { n: 2 }]]);
  });
});
