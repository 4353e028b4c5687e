import { expect } from 'chai';
import { Cache, MemoryBackend, cached } from '../../../lib/index.js';
import { recordOperations } from '../../support/operation-events.js';

describe('telemetry of tagged calls', function () {
  it('a traced cached() call stores its result with its tags, as an untraced one does', async function () {
    const cache = new Cache({ backend: new MemoryBackend() });
    let computed = 0;
    const load = cached(async (id: string) => `${id}:${++computed}`, { cache, tags: ['users'] });
    const recorder = recordOperations();
    try {
      expect(await load('a')).to.equal('a:1');
      expect(await load('a')).to.equal('a:1');
      expect(await cache.invalidateTags(['users'])).to.equal(1);
      expect(await load('a')).to.equal('a:2');
    } finally {
      recorder.stop();
    }
    const ops = recorder.settled().map(({ op, hit, keyCount }) => ({ op, hit, keyCount }));
    expect(ops).to.deep.include({ op: 'invalidateTags', hit: undefined, keyCount: 1 });
    expect(ops.filter((ctx) => ctx.op === 'cached').map((ctx) => ctx.hit)).to.deep.equal([
      false,
      true,
      false,
    ]);
    await cache.close();
  });
});
