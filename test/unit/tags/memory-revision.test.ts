// A tagged hit on the memory backend skips reading its tags while the store's revision is the
// one at which they were last found current, and reads them again every 16th hit. These tests
// pin both halves: the skip (counted tag reads) and that nothing the revision tracks is missed.
import { expect } from 'chai';
import sinon from 'sinon';
import { Cache, MemoryBackend, RESERVED_KEY_PREFIX } from '../../../lib/index.js';

async function tagKeys(backend: MemoryBackend): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of backend.scan(`${RESERVED_KEY_PREFIX}tag:*`, 1000)) keys.push(...page);
  return keys;
}

describe('tagged memory hits and the store revision', () => {
  it('reads the tags on the first hit, then on every 16th, while nothing in the store changed', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend });
    await cache.set('p', { id: 1 }, { tags: ['a', 'b'] });
    const tagKeySet = new Set(await tagKeys(backend));
    const peek = sinon.spy(backend, 'peek');
    const tagReads = (): number =>
      peek.getCalls().filter((call) => tagKeySet.has((call.args[0] as { key: string }).key)).length;
    expect(await cache.get('p')).to.deep.equal({ id: 1 });
    expect(tagReads()).to.equal(2);
    for (let i = 0; i < 15; i++) expect(await cache.get('p')).to.deep.equal({ id: 1 });
    expect(tagReads(), 'the 15 hits after a check read no tag').to.equal(2);
    expect(await cache.get('p')).to.deep.equal({ id: 1 });
    expect(tagReads(), 'the 16th reads both again').to.equal(4);
    await cache.close();
  });

  it('misses after invalidateTags, though the entry was last checked moments before', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend });
    const other = new Cache({ backend });
    await cache.set('p', 1, { tags: ['a'] });
    for (let i = 0; i < 5; i++) expect(await cache.get('p')).to.equal(1);
    await other.invalidateTags(['a']);
    expect(await cache.get('p')).to.equal(undefined);
    await Promise.all([cache.close(), other.close()]);
  });

  it('misses once a tag key is deleted, evicted or cleared from the store behind the cache', async () => {
    for (const lose of ['delete', 'evict', 'clear'] as const) {
      const backend = new MemoryBackend({ maxSize: 4 });
      const cache = new Cache({ backend });
      await cache.set('p', 1, { tags: ['a'] });
      for (let i = 0; i < 5; i++) expect(await cache.get('p'), lose).to.equal(1);
      const [tagKey] = (await tagKeys(backend)).filter((key) => key.endsWith(':a'));
      if (lose === 'delete') backend.delete(tagKey!);
      if (lose === 'clear') backend.clear('');
      if (lose === 'evict') {
        // The tag key is the oldest entry once the entry itself is written again.
        backend.set(tagKey!, backend.get(tagKey!), 0);
        await cache.set('p', 1, { tags: ['a'] });
        for (const key of ['x', 'y', 'z']) await cache.set(key, 0);
        expect(await tagKeys(backend), 'the tag key was evicted').to.not.include(tagKey);
        await cache.set('x', 0); // any write: the store keeps only maxSize entries
        backend.set(tagKey!, 'another token', 0); // the key back, holding another token
      }
      expect(await cache.get('p'), lose).to.equal(undefined);
      await cache.close();
    }
  });

  it('misses after a tag key is overwritten in place, or given an expiry that passes', async () => {
    let now = Date.UTC(2026, 0, 1);
    const backend = new MemoryBackend({ clock: { now: () => now } });
    const cache = new Cache({ backend });
    await cache.set('p', 1, { tags: ['a'] });
    await cache.set('q', 2, { tags: ['b'] });
    for (let i = 0; i < 5; i++) {
      expect(await cache.get('p')).to.equal(1);
      expect(await cache.get('q')).to.equal(2);
    }
    const keys = await tagKeys(backend);
    backend.set(
      keys.find((key) => key.endsWith(':a'))!,
      'another token',
      0,
    );
    backend.expire(
      keys.find((key) => key.endsWith(':b'))!,
      1_000,
    );
    expect(await cache.get('p')).to.equal(undefined);
    expect(await cache.get('q'), 'before the expiry').to.equal(2);
    now += 1_000;
    expect(await cache.get('q'), 'after it').to.equal(undefined);
    await cache.close();
  });
});

describe('tags on an in-process store of objects that also answers stat', () => {
  // A store of live objects marks a tagged entry by its wrapper, which no first bytes can show:
  // exists and ttl must read the entry itself, whatever stat would answer.
  class StatMemory extends MemoryBackend {
    stat(key: string): { ttlMs: number; head: undefined } | undefined {
      const ttlMs = this.ttl(key);
      return ttlMs === undefined ? undefined : { ttlMs, head: undefined };
    }
  }

  it('exists and ttl miss a tagged entry whose tag was invalidated', async () => {
    const cache = new Cache({ backend: new StatMemory() });
    await cache.set('p', 1, { tags: ['a'], ttl: '1h' });
    expect(await cache.exists('p')).to.equal(true);
    await cache.invalidateTags(['a']);
    expect(await cache.exists('p')).to.equal(false);
    expect(await cache.ttl('p')).to.equal(undefined);
    await cache.close();
  });
});
