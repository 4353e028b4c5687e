import assert from 'node:assert/strict';
import type { Cache } from '../../cache.js';
import { describeNeeding, fill, type CacheSuite } from './context.js';

/** Where keys live: namespaces, versions, key builders, clear, deletePattern and scan. */
export function describeKeys(suite: CacheSuite): void {
  const { describe, it, beforeEach } = suite.fns;
  const cache = () => suite.cache();
  const root = () => suite.cacheWith();
  // A cache of namespace 'ns' whose keyBuilder writes `{ns}/key`, holding a=1 and b=2, and a root
  // cache to see its final keys through.
  const customKeyed = async () => {
    const plain = await root();
    const custom = await suite.cacheWith({
      namespace: 'ns',
      keyBuilder: (key, namespace) => `{${namespace}}/${key}`,
    });
    await fill(custom, [
      ['a', 1],
      ['b', 2],
    ]);
    return { plain, custom };
  };

  describe('namespaces, versions and key builders', () => {
    it('prefixes keys with namespace and version joined by ":"', async () => {
      const plain = await root();
      const versioned = await suite.cacheWith({ namespace: 'app', version: 2 });
      await versioned.set('user', 'v2');
      await cache().set('user', 'plain');
      assert.equal(await plain.get('app:2:user'), 'v2');
      assert.equal(await plain.get('test:user'), 'plain');
      const versionOnly = await suite.cacheWith({ version: 'v9' });
      await versionOnly.set('k', 1);
      assert.equal(await plain.get('v9:k'), 1);
    });

    it('isolates namespaces and versions from each other', async () => {
      const v1 = await suite.cacheWith({ namespace: 'app', version: 1 });
      const v2 = await suite.cacheWith({ namespace: 'app', version: 2 });
      await v1.set('k', 'one');
      assert.equal(await v2.get('k'), undefined);
      assert.equal(await cache().get('k'), undefined);
    });

    it('takes per-call namespace and version overrides', async () => {
      await cache().set('k', 'other', { namespace: 'other' });
      assert.equal(await cache().get('k'), undefined);
      assert.equal(await cache().get('k', { namespace: 'other' }), 'other');
      await cache().set('k', 'v3', { version: 3 });
      assert.equal(await cache().get('k', { version: 3 }), 'v3');
      assert.equal(await cache().get('k', { namespace: '' }), undefined);
    });

    it('uses a custom keyBuilder for every key, clear included', async () => {
      const { plain, custom } = await customKeyed();
      assert.equal(await plain.get('{ns}/a'), 1);
      assert.deepEqual(await custom.multiGet(['a', 'b']), [1, 2]);
      await plain.set('outside', 1);
      await custom.clear();
      assert.deepEqual(await plain.multiGet(['{ns}/a', '{ns}/b', 'outside']), [undefined, undefined, 1]);
    });

    it('rejects a keyBuilder that does not return a non-empty string', async () => {
      const broken = await suite.cacheWith({ keyBuilder: () => '' });
      await assert.rejects(async () => broken.set('k', 1), TypeError);
    });
  });

  describe('clear', () => {
    it("removes only its own namespace's keys, in every version", async () => {
      const plain = await root();
      const v2 = await suite.cacheWith({ namespace: 'test', version: 2 });
      const neighbour = await suite.cacheWith({ namespace: 'testing' });
      await cache().set('a', 1);
      await v2.set('b', 2);
      await neighbour.set('c', 3);
      await plain.set('d', 4);
      assert.equal(await cache().clear(), true);
      assert.deepEqual(await plain.multiGet(['test:a', 'test:2:b', 'testing:c', 'd']), [
        undefined,
        undefined,
        3,
        4,
      ]);
    });

    it('empties the whole store when the cache has no namespace', async () => {
      const plain = await root();
      await cache().set('a', 1);
      await plain.set('b', 2);
      await plain.clear();
      assert.equal(await cache().get('a'), undefined);
      assert.equal(await plain.get('b'), undefined);
    });
  });

  const keys = ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'hbllo'];
  const remaining = async (): Promise<string[]> =>
    (await cache().multiGet(keys)).filter((v): v is string => v !== undefined).sort();

  describeNeeding(
    suite,
    ['deletePattern'],
    'deletePattern',
    (c) => c.deletePattern('*'),
    () => {
      beforeEach(async () => {
        await fill(
          cache(),
          keys.map((key) => [key, key]),
        );
      });

      for (const [glob, removed] of [
        ['h?llo', ['hallo', 'hbllo', 'hello', 'hxllo']],
        ['h*llo', ['hallo', 'hbllo', 'heeeello', 'hello', 'hllo', 'hxllo']],
        ['h[ae]llo', ['hallo', 'hello']],
        ['h[^e]llo', ['hallo', 'hbllo', 'hxllo']],
        ['h[a-b]llo', ['hallo', 'hbllo']],
      ] as [string, string[]][]) {
        it(`removes keys matching ${glob} and counts them`, async () => {
          assert.equal(await cache().deletePattern(glob), removed.length);
          assert.deepEqual(await remaining(), keys.filter((k) => !removed.includes(k)).sort());
        });
      }

      it('stays inside the namespace, escaping glob characters in it', async () => {
        const plain = await root();
        const starred = await suite.cacheWith({ namespace: 'te*' });
        await plain.set('other:hello', 1);
        await starred.set('hello', 2);
        await plain.set('tex:hello', 3);
        assert.equal(await starred.deletePattern('*'), 1);
        assert.equal(await cache().get('hello'), 'hello');
        assert.deepEqual(await plain.multiGet(['other:hello', 'tex:hello']), [1, 3]);
      });

      it('uses a custom keyBuilder', async () => {
        const { plain, custom } = await customKeyed();
        assert.equal(await custom.deletePattern('a'), 1);
        assert.deepEqual(await plain.multiGet(['{ns}/a', '{ns}/b']), [undefined, 2]);
      });

      it('rejects an empty or non-string glob', async () => {
        await assert.rejects(async () => cache().deletePattern(''), TypeError);
        await assert.rejects(async () => cache().deletePattern(1 as never), TypeError);
      });
    },
  );

  const pagesOf = async (c: Cache, glob?: string, count?: number): Promise<string[][]> => {
    const pages: string[][] = [];
    for await (const page of c.scan(glob, count === undefined ? undefined : { count })) pages.push(page);
    return pages;
  };

  describeNeeding(
    suite,
    ['scan'],
    'scan',
    (c) => c.scan().next(),
    () => {
      it("walks this namespace's keys in pages, as the caller's keys, filtered by a glob", async () => {
        const plain = await root();
        const other = await suite.cacheWith({ namespace: 'other' });
        await fill(
          cache(),
          Array.from({ length: 25 }, (_, i) => [`item:${i}`, i] as const),
        );
        await cache().set('misc', 1);
        await other.set('item:x', 1);
        await plain.set('item:root', 1);
        const pages = await pagesOf(cache(), 'item:*', 5);
        const expected = Array.from({ length: 25 }, (_, i) => `item:${i}`).sort();
        assert.deepEqual([...new Set(pages.flat())].sort(), expected);
        assert.ok(pages.length >= 2, `25 keys in ${pages.length} page(s) of count 5`);
        assert.equal(new Set((await pagesOf(cache())).flat()).size, 26);
      });

      it('rejects an empty glob and a bad count', async () => {
        await assert.rejects(async () => cache().scan('').next(), TypeError);
        await assert.rejects(async () => cache().scan('*', { count: 0 }).next(), RangeError);
      });
    },
  );
}
