import assert from 'node:assert/strict';
import { RESERVED_KEY_PREFIX } from '../../backends/backend.js';
import { assertPayload } from '../assertions.js';
import { describeCapability, type BackendSuite } from './context.js';
import { bytePayloads } from './payloads.js';

/** scanEntries: scan's walk with each key's payload, as get answers it; expired entries left out. */
export function describeScanEntries(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();
  const walk = async (pattern: string, count = 100, signal?: AbortSignal): Promise<[string, unknown][][]> => {
    const pages: [string, unknown][][] = [];
    for await (const page of backend().scanEntries(pattern, count, signal)) {
      assert.ok(Array.isArray(page), 'a page is an array');
      for (const entry of page) {
        assert.ok(Array.isArray(entry) && entry.length === 2, 'a page holds [key, payload] pairs');
        assert.equal(typeof entry[0], 'string', 'an entry key is a string');
      }
      pages.push(page.map(([key, payload]) => [key, payload]));
    }
    return pages;
  };

  describeCapability(suite, 'scanEntries', 'scanEntries', () => {
    it('walks the entries matching the glob, each key once, with the payload get answers', async () => {
      const bytes = bytePayloads()[1]!;
      const keys = Array.from({ length: 12 }, (_, i) => `item:${i}`);
      for (const key of keys) await backend().set(key, key, 0);
      await backend().set('item:bytes', bytes, suite.time.long);
      await backend().set('other', 'v', 0);
      await backend().set(`${RESERVED_KEY_PREFIX}lock:item:1`, 'token', 0);
      const pages = await walk('item:*', 5);
      const found = new Map(pages.flat());
      assert.equal(found.size, pages.flat().length, 'a key was listed twice');
      assert.deepEqual([...found.keys()].sort(), [...keys, 'item:bytes'].sort());
      for (const key of keys) assertPayload(found.get(key), key, key);
      assertPayload(found.get('item:bytes'), bytes, 'a byte payload');
      const reserved = (await walk(`${RESERVED_KEY_PREFIX}*`)).flat();
      assert.deepEqual(
        reserved.map(([key]) => key),
        [`${RESERVED_KEY_PREFIX}lock:item:1`],
      );
    });

    it('walks nothing of an empty store, and no expired entry', async () => {
      assert.deepEqual((await walk('*')).flat(), []);
      await backend().set('short', 'v', suite.time.units(1));
      await suite.time.elapse(3);
      assert.deepEqual((await walk('*')).flat(), []);
    });

    it('stops once its signal aborts', async () => {
      for (let i = 0; i < 10; i++) await backend().set(`k${i}`, 'v', 0);
      const aborted = new AbortController();
      aborted.abort();
      assert.deepEqual(
        (await walk('*', 1, aborted.signal)).flat(),
        [],
        'walked with a signal aborted before',
      );
    });
  });
}
