import { expect } from 'chai';
import { runTs } from '../support/run.js';

describe('examples/quickstart.ts (what `npm start` runs)', function () {
  this.timeout(30_000);

  it('prints real values from the in-memory default', async function () {
    const started = Date.now();
    const { code, stdout, stderr } = await runTs('examples/quickstart.ts');
    const elapsed = Date.now() - started;
    expect(code, stderr).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines).to.deep.equal([
      "get 42          -> { id: '42', name: 'Ada', visits: 1 }",
      'get 7           -> undefined',
      "get 7 (default) -> { id: '7', name: 'guest', visits: 0 }",
      lines[3],
      'short after 80ms-> undefined',
      'add 42          -> KeyExistsError for key 42',
      "multiGet        -> [ 'Grace', 'Linus', undefined ]",
      'getOrSet x3     -> loaded-99, loaded-99, loaded-99 (loads: 1)',
      'increment       -> 11',
      'deletePattern   -> 2 keys removed',
      'after clear     -> undefined | counters untouched: 11',
    ]);
    const ttl = Number(/^ttl 42 +-> (\d+) ms left$/.exec(lines[3]!)?.[1]);
    // The key's 10-minute ttl, read back while the example ran: less no more than the run took.
    expect(ttl, `ttl after a run of ${elapsed} ms`).to.be.within(600_000 - elapsed, 600_000);
  });
});
