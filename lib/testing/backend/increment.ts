import assert from 'node:assert/strict';
import { assertPayload, assertTtlWithin, hasCode } from '../assertions.js';
import { describeCapability, type BackendSuite } from './context.js';

/** increment: integers stored as text, a missing key created as `initial`, the ttl kept. */
export function describeIncrement(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();
  const { time } = suite;
  // What a cache passes as `initial`: the delta encoded by a text serializer.
  const increment = (key: string, delta: number) => backend().increment(key, delta, String(delta));

  describeCapability(suite, 'increment', 'increment', () => {
    it('creates a missing key holding `initial`, with no expiry, and answers delta', async () => {
      assert.equal(await increment('n', 5), 5);
      assertPayload(await backend().get('n'), '5', 'the created counter');
      assert.equal(await backend().ttl('n'), Infinity);
    });

    it('adds to a stored integer, negatives included, and stores the result as text', async () => {
      await backend().set('n', '10', 0);
      assert.equal(await increment('n', 1), 11);
      assert.equal(await increment('n', -20), -9);
      assert.equal(await increment('n', 0), -9);
      assertPayload(await backend().get('n'), '-9', 'the stored counter');
    });

    it("keeps the key's ttl", async () => {
      await backend().set('n', '1', time.long);
      await increment('n', 1);
      assertTtlWithin(await backend().ttl('n'), time.long, 'ttl after increment');
    });

    it('creates an expired key afresh, without its old ttl', async () => {
      await backend().set('n', '100', time.units(1));
      await time.elapse(3);
      assert.equal(await increment('n', 2), 2);
      assert.equal(await backend().ttl('n'), Infinity);
    });

    it('counts exactly under concurrency: 25 increments of 1 end at 25', async () => {
      const results = await Promise.all(Array.from({ length: 25 }, () => increment('n', 1)));
      assert.deepEqual(
        [...results].sort((a, b) => a - b),
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
      assertPayload(await backend().get('n'), '25', 'the counter');
    });

    it('rejects a stored non-integer with NotAnIntegerError (a TypeError), changing nothing', async () => {
      for (const stored of ['abc', '1.5', '1e3', ' 7', '', '9007199254740993x']) {
        await backend().set('k', stored, 0);
        await assert.rejects(
          async () => increment('k', 1),
          hasCode('LARDER_NOT_AN_INTEGER', TypeError),
          `increment of ${JSON.stringify(stored)}`,
        );
        assertPayload(await backend().get('k'), stored, `the stored ${JSON.stringify(stored)}`);
      }
    });

    it('rejects a result beyond the safe integer range with OutOfRangeError (a RangeError), changing nothing', async () => {
      const edges: [string, number][] = [
        [String(Number.MAX_SAFE_INTEGER), 1],
        [String(Number.MIN_SAFE_INTEGER), -1],
        ['1', Number.MAX_SAFE_INTEGER],
      ];
      for (const [stored, delta] of edges) {
        await backend().set('k', stored, 0);
        await assert.rejects(
          async () => increment('k', delta),
          hasCode('LARDER_OUT_OF_RANGE', RangeError),
          `${stored} + ${delta}`,
        );
        assertPayload(await backend().get('k'), stored, `the stored ${stored}`);
      }
      await backend().set('k', String(Number.MAX_SAFE_INTEGER - 1), 0);
      assert.equal(await increment('k', 1), Number.MAX_SAFE_INTEGER, 'the largest safe integer itself');
    });
  });
}
