import { expect } from 'chai';
import { Cache, LockTimeoutError, MemoryBackend } from '../../../lib/index.js';

async function pages(cache: Cache, glob = '*'): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of cache.scan(glob)) keys.push(...page);
  return keys.sort();
}

describe('lock keys live outside the keyspace', function () {
  it("a namespace's scan, deletePattern and clear never see or remove another holder's lock", async function () {
    const backend = new MemoryBackend();
    const holder = new Cache({ backend, namespace: 'app' });
    const other = new Cache({ backend, namespace: 'app' });
    const lock = await holder.lock('report', { lease: '1m' });
    await other.set('a', 1);
    expect(await pages(other)).to.deep.equal(['a']);
    expect(await other.deletePattern('*')).to.equal(1);
    await other.clear();
    const error = await other.lock('report', { lease: '1m' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockTimeoutError);
    expect(await lock.release()).to.equal(true);
  });

  it("a root cache's scan and deletePattern('*') leave locks out too", async function () {
    const backend = new MemoryBackend();
    const holder = new Cache({ backend, namespace: 'app' });
    const root = new Cache({ backend });
    await holder.lock('report', { lease: '1m' });
    await root.set('x', 1);
    expect(await pages(root)).to.deep.equal(['x']);
    expect(await root.deletePattern('*')).to.equal(1);
    expect(await holder.lock('report', { lease: '1m' }).catch((e: unknown) => e)).to.be.instanceOf(
      LockTimeoutError,
    );
  });
});
