import assert from 'node:assert/strict';
import { RESERVED_KEY_PREFIX } from '../../backends/backend.js';
import { describeCapability, type BackendSuite } from './context.js';

const KEYS = ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'hbllo', 'h*llo', 'h?llo', 'h[a]llo', 'h\\llo'];
const LOCK = `${RESERVED_KEY_PREFIX}lock:hello`;

// Redis' own examples (the KEYS command's page), escapes, and larder's reserved keys.
const GLOBS: readonly (readonly [string, readonly string[]])[] = [
  ['h?llo', ['hallo', 'hbllo', 'hello', 'hxllo', 'h*llo', 'h?llo', 'h\\llo']],
  ['h*llo', KEYS],
  ['h[ae]llo', ['hallo', 'hello']],
  ['h[^e]llo', ['hallo', 'hbllo', 'hxllo', 'h*llo', 'h?llo', 'h\\llo']],
  ['h[a-b]llo', ['hallo', 'hbllo']],
  ['h[b-a]llo', ['hallo', 'hbllo']],
  ['h\\*llo', ['h*llo']],
  ['h\\?llo', ['h?llo']],
  ['h\\[a]llo', ['h[a]llo']],
  ['h\\\\llo', ['h\\llo']],
  ['hello', ['hello']],
  ['nothing*', []],
  ['*', KEYS],
  ['_*', []],
  [`${RESERVED_KEY_PREFIX}*`, [LOCK]],
  [`${RESERVED_KEY_PREFIX}lock:h?llo`, [LOCK]],
];

/** deletePattern and scan: Redis-style globs over final keys, larder's reserved keys left out. */
export function describePatterns(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();
  const fill = async (keys: readonly string[]): Promise<void> => {
    for (const key of keys) await backend().set(key, key, 0);
  };
  const present = async (keys: readonly string[]): Promise<string[]> => {
    const found = await backend().multiGet(keys);
    return keys.filter((_, i) => found[i] !== undefined).sort();
  };
  const scanAll = async (pattern: string, count = 100): Promise<string[][]> => {
    const pages: string[][] = [];
    for await (const page of backend().scan(pattern, count)) {
      assert.ok(Array.isArray(page), 'a page is an array');
      for (const key of page) assert.equal(typeof key, 'string', 'a page holds key strings');
      pages.push(page);
    }
    return pages;
  };
  const sorted = (keys: readonly string[]): string[] => [...new Set(keys)].sort();

  describeCapability(suite, 'deletePattern', 'deletePattern', () => {
    for (const [glob, matched] of GLOBS) {
      it(`removes the keys matching ${glob} and counts them`, async () => {
        await fill([...KEYS, LOCK]);
        assert.equal(await backend().deletePattern(glob), matched.length);
        const all = [...KEYS, LOCK];
        assert.deepEqual(await present(all), sorted(all.filter((key) => !matched.includes(key))));
      });
    }

    it('counts no expired key', async () => {
      await backend().set('hello', 'v', suite.time.units(1));
      await backend().set('hallo', 'v', suite.time.long);
      await suite.time.elapse(3);
      assert.equal(await backend().deletePattern('h*'), 1);
    });

    it('removes many keys (more than one page of a store that walks in pages)', async () => {
      const many = Array.from({ length: 1_500 }, (_, i) => `many:${i}`);
      await Promise.all(many.map((key) => backend().set(key, '', 0)));
      await backend().set('other', '', 0);
      assert.equal(await backend().deletePattern('many:*'), 1_500);
      assert.equal(await backend().exists('many:1499'), false);
      assert.equal(await backend().exists('other'), true);
    });
  });

  describeCapability(suite, 'scan', 'scan', () => {
    for (const [glob, matched] of GLOBS) {
      it(`lists the keys matching ${glob}`, async () => {
        await fill([...KEYS, LOCK]);
        assert.deepEqual(sorted((await scanAll(glob)).flat()), sorted(matched));
      });
    }

    it('walks in pages of about `count`, every key at least once', async () => {
      const keys = Array.from({ length: 25 }, (_, i) => `item:${i}`);
      await fill([...keys, 'misc']);
      const pages = await scanAll('item:*', 5);
      assert.ok(pages.length >= 2, `25 keys in ${pages.length} page(s) of count 5`);
      assert.deepEqual(sorted(pages.flat()), sorted(keys));
    });

    it('lists nothing of an empty store, and no expired key', async () => {
      assert.deepEqual((await scanAll('*')).flat(), []);
      await backend().set('short', 'v', suite.time.units(1));
      await suite.time.elapse(3);
      assert.deepEqual((await scanAll('*')).flat(), []);
    });

    it('stops once its signal aborts, and lists nothing with a signal aborted before', async () => {
      const keys = Array.from({ length: 30 }, (_, i) => `item:${i}`);
      await fill(keys);
      const aborted = new AbortController();
      aborted.abort();
      const none: string[] = [];
      for await (const page of backend().scan('*', 1, aborted.signal)) none.push(...page);
      assert.deepEqual(none, [], 'a scan whose signal was aborted before it started listed keys');

      const controller = new AbortController();
      const pages = backend().scan('*', 1, controller.signal)[Symbol.asyncIterator]();
      const first = await pages.next();
      assert.equal(first.done, false, 'no first page');
      controller.abort();
      // A page fetched before the abort may still be handed out; nothing after it.
      let after = 0;
      while (!(await pages.next()).done) {
        after++;
        assert.ok(after <= 1, 'the scan went on after its signal aborted');
      }
    });
  });
}
