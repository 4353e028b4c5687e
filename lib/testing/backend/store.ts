import assert from 'node:assert/strict';
import { RESERVED_KEY_PREFIX } from '../../backends/backend.js';
import type { BackendSuite } from './context.js';

/** clear(prefix) and close(). */
export function describeStore(suite: BackendSuite): void {
  const { describe, it } = suite.fns;
  const backend = () => suite.backend();

  const fill = async (keys: readonly string[], ttlMs = 0): Promise<void> => {
    for (const key of keys) await backend().set(key, key, ttlMs);
  };
  const present = async (keys: readonly string[]): Promise<string[]> => {
    const found = await backend().multiGet(keys);
    return keys.filter((_, i) => found[i] !== undefined);
  };

  describe('clear', () => {
    it('clear(prefix) removes exactly the keys that start with the prefix', async () => {
      const inside = ['app:a', 'app:b:c', 'app:'];
      const outside = ['apple', 'ap', 'APP:a', 'other:app:a', ' app:a', `${RESERVED_KEY_PREFIX}lock:app:a`];
      await fill([...inside, ...outside]);
      await backend().set('app:timed', 'v', suite.time.long);
      await backend().clear('app:');
      assert.deepEqual(await present([...inside, 'app:timed', ...outside]), outside);
    });

    it('clear(prefix) takes the prefix literally, glob characters and all', async () => {
      const prefix = 'a*[?]\\^-:';
      // The first two match the prefix read as a glob; the others differ from it in one character.
      const outside = ['aXY?^-:1', 'a?^-:1', 'a*[?]\\^-', 'a*[?]\\^=:1', 'b*[?]\\^-:1'];
      await fill([`${prefix}1`, `${prefix}2`, ...outside]);
      await backend().clear(prefix);
      assert.deepEqual(await present([`${prefix}1`, `${prefix}2`, ...outside]), outside);
    });

    it("clear(prefix) under larder's reserved prefix removes those keys and no others", async () => {
      const reserved = [`${RESERVED_KEY_PREFIX}lock:a`, `${RESERVED_KEY_PREFIX}tags:b`];
      await fill([...reserved, 'lock:a', '_larder:x']);
      await backend().clear(RESERVED_KEY_PREFIX);
      assert.deepEqual(await present([...reserved, 'lock:a', '_larder:x']), ['lock:a', '_larder:x']);
    });

    it("clear('') empties the whole store, timed keys and larder's reserved keys included", async () => {
      const keys = ['a', 'b:c', `${RESERVED_KEY_PREFIX}lock:a`];
      await fill(keys);
      await fill(['timed'], suite.time.long);
      await backend().clear('');
      assert.deepEqual(await present([...keys, 'timed']), []);
      assert.equal(await backend().exists('a'), false);
    });

    it('leaves the store usable', async () => {
      await fill(['a']);
      await backend().clear('');
      await backend().set('a', 'again', 0);
      assert.deepEqual(await present(['a']), ['a']);
    });
  });

  describe('close', () => {
    it('is idempotent', async () => {
      await backend().close();
      await backend().close();
    });
  });
}
