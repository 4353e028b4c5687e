import assert from 'node:assert/strict';
import { assertMiss, assertPayload, assertTtlWithin } from '../assertions.js';
import { describeCapability, type BackendSuite } from './context.js';

/** multiSet: every entry with the same ttl, all or nothing. */
export function describeMultiSet(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();
  const { time } = suite;

  describeCapability(suite, 'multiSet', 'multiSet', () => {
    it('stores every entry, text and bytes, replacing what was there', async () => {
      await backend().set('b', 'old', 0);
      const bytes = Uint8Array.from([0, 1, 2]);
      await backend().multiSet(
        [
          ['a', 'A'],
          ['b', bytes],
          ['c', ''],
        ],
        0,
      );
      const [a, b, c] = await backend().multiGet(['a', 'b', 'c']);
      assertPayload(a, 'A', 'a');
      assertPayload(b, bytes, 'b');
      assertPayload(c, '', 'c');
    });

    it('gives every entry the one ttl: 0 for none, else gone after it', async () => {
      await backend().set('persisted', 'old', time.long);
      await backend().multiSet(
        [
          ['persisted', 'p'],
          ['forever', 'f'],
        ],
        0,
      );
      await backend().multiSet(
        [
          ['hour1', 'h'],
          ['hour2', 'h'],
        ],
        time.long,
      );
      await backend().multiSet(
        [
          ['short1', 's'],
          ['short2', 's'],
        ],
        time.units(1),
      );
      assert.equal(await backend().ttl('persisted'), Infinity, 'multiSet with 0 kept an old ttl');
      assert.equal(await backend().ttl('forever'), Infinity);
      assertTtlWithin(await backend().ttl('hour1'), time.long, 'hour1');
      assertTtlWithin(await backend().ttl('hour2'), time.long, 'hour2');
      await time.elapse(3);
      const found = await backend().multiGet(['short1', 'short2', 'forever', 'hour2']);
      assertMiss(found[0], 'short1');
      assertMiss(found[1], 'short2');
      assertPayload(found[2], 'f', 'forever');
      assertPayload(found[3], 'h', 'hour2');
    });

    it('keeps the later payload of a key given twice', async () => {
      await backend().multiSet(
        [
          ['k', 'first'],
          ['k', 'second'],
        ],
        0,
      );
      assertPayload(await backend().get('k'), 'second', 'k');
    });

    it('does nothing for no entries', async () => {
      await backend().set('a', 'a', 0);
      await backend().multiSet([], 0);
      assertPayload(await backend().get('a'), 'a', 'a');
    });

    it('stores many entries at once', async () => {
      const entries = Array.from({ length: 100 }, (_, i) => [`many:${i}`, `v${i}`] as const);
      await backend().multiSet(entries, time.long);
      const found = await backend().multiGet(entries.map(([key]) => key));
      entries.forEach(([key, value], i) => assertPayload(found[i], value, key));
    });

    const refusesOne = 'writes nothing, new or old, when it refuses one entry';
    // Only a backend that can refuse a value has this to show; the suite is told of one by
    // `unstorable` (a backend that stores anything has no such test).
    if ('unstorable' in suite.options) {
      it(refusesOne, async () => {
        await backend().set('a', 'old', 0);
        const entries: [string, unknown][] = [
          ['a', 'new'],
          ['b', 'new'],
          ['refused', suite.options.unstorable],
          ['c', 'new'],
        ];
        await assert.rejects(
          async () => backend().multiSet(entries, 0),
          'multiSet stored the unstorable value',
        );
        const [a, b, refused, c] = await backend().multiGet(['a', 'b', 'refused', 'c']);
        assertPayload(a, 'old', 'an entry before the refused one was overwritten');
        assertMiss(b, 'an entry before the refused one was created');
        assertMiss(refused, 'the refused entry');
        assertMiss(c, 'an entry after the refused one was created');
      });
    }
  });
}
