import { expect } from 'chai';
import { runTs } from '../support/run.js';

describe('examples/tags.ts', function () {
  this.timeout(30_000);

  it('invalidates one product, then the whole catalog', async function () {
    const { code, stdout, stderr } = await runTs('examples/tags.ts');
    expect(code, stderr).to.equal(0);
    expect(stdout.trim().split('\n')).to.deep.equal([
      'two products, three calls -> loads: 2',
      'after product:1 changed   -> 11 20 loads: 3',
      'banner                    -> summer sale',
      'invalidateTags(catalog)   -> 1',
      'banner                    -> undefined',
      'product 2 reloaded        -> loads: 4',
    ]);
  });
});
