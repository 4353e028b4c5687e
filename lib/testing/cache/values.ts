import assert from 'node:assert/strict';
import { KeyExistsError } from '../../errors.js';
import { assertTtlWithin, hasCode } from '../assertions.js';
import { fill, type CacheSuite } from './context.js';

/**
 * Values in and out: get, set, add, multiGet, multiSet, exists, delete, multiDelete, argument
 * checks, and a tagged entry through exists, ttl and get.
 */
export function describeValues(suite: CacheSuite): void {
  const { describe, it } = suite.fns;
  const cache = () => suite.cache();
  const HOUR = 3_600_000;

  describe('get / set', () => {
    it('round-trips JSON-able values, keeping null, 0, empty string and false as real values', async () => {
      const values: unknown[] = [
        null,
        0,
        '',
        false,
        42,
        -1.5,
        'text',
        [1, 'two', null],
        { a: { b: [true] } },
      ];
      for (const [i, value] of values.entries()) {
        assert.equal(await cache().set(`k${i}`, value), true);
        assert.deepEqual(await cache().get(`k${i}`), value);
      }
    });

    it('answers a miss with undefined, or with the default option', async () => {
      assert.equal(await cache().get('missing'), undefined);
      assert.equal(await cache().get('missing', { default: 'fallback' }), 'fallback');
      await cache().set('present', 0);
      assert.equal(await cache().get('present', { default: 'fallback' }), 0);
    });

    it('overwrites an existing value and accepts finite numbers as keys', async () => {
      await cache().set(7, 'first');
      await cache().set('7', 'second');
      assert.equal(await cache().get(7), 'second');
    });
  });

  describe('add', () => {
    it('stores when absent and throws KeyExistsError naming the key when present', async () => {
      assert.equal(await cache().add('a', 1), true);
      await assert.rejects(
        async () => cache().add('a', 2),
        (error) =>
          hasCode('LARDER_KEY_EXISTS', KeyExistsError)(error) && (error as KeyExistsError).key === 'a',
      );
      assert.equal(await cache().get('a'), 1);
    });

    it('lets exactly one of many concurrent adds win', async () => {
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => cache().add('race', i)));
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected')
          assert.ok(outcome.reason instanceof KeyExistsError, String(outcome.reason));
      }
      assert.equal(
        await cache().get('race'),
        outcomes.findIndex((o) => o.status === 'fulfilled'),
      );
    });
  });

  describe('multiGet / multiSet', () => {
    it('accepts pairs, a Map and a plain object, and reads back in key order with misses', async () => {
      await cache().multiSet([
        ['a', 1],
        ['b', { two: 2 }],
      ]);
      await cache().multiSet(
        new Map<string | number, unknown>([
          ['c', 'three'],
          [4, null],
        ]),
      );
      await cache().multiSet({ e: false });
      assert.deepEqual(await cache().multiGet(['e', 'missing', 'a', 4, 'c', 'b']), [
        false,
        undefined,
        1,
        null,
        'three',
        { two: 2 },
      ]);
    });

    it('writes nothing when one entry is invalid', async () => {
      const bad: unknown[] = [
        [
          ['ok', 1],
          ['', 2],
        ],
        [
          ['ok', 1],
          ['bad', undefined],
        ],
        [['ok', 1], 'not a pair'],
      ];
      for (const entries of bad) {
        await assert.rejects(async () => cache().multiSet(entries as never), TypeError);
        assert.equal(await cache().exists('ok'), false);
      }
    });

    it('returns an empty array for no keys', async () => {
      assert.deepEqual(await cache().multiGet([]), []);
    });
  });

  describe('exists / delete / multiDelete', () => {
    it('reports presence and counts removed keys', async () => {
      await fill(cache(), [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]);
      assert.equal(await cache().exists('a'), true);
      assert.equal(await cache().delete('a'), 1);
      assert.equal(await cache().delete('a'), 0);
      assert.equal(await cache().exists('a'), false);
      assert.equal(await cache().multiDelete(['b', 'c', 'missing']), 2);
      assert.equal(await cache().multiDelete([]), 0);
    });

    it('a tagged entry is there (exists, ttl, get) until one of its tags is invalidated', async () => {
      await cache().set('tagged', 'v', { tags: ['t1', 't2'], ttl: HOUR });
      await cache().set('plain', 'p', { ttl: HOUR });
      assert.equal(await cache().exists('tagged'), true);
      assertTtlWithin(await cache().ttl('tagged'), HOUR, 'ttl of a current tagged entry');
      assert.equal(await cache().get('tagged'), 'v');
      assert.equal(await cache().invalidateTags(['t2']), 1);
      assert.equal(await cache().exists('tagged'), false, 'exists of an invalidated tagged entry');
      assert.equal(await cache().ttl('tagged'), undefined, 'ttl of an invalidated tagged entry');
      assert.equal(await cache().get('tagged'), undefined, 'get of an invalidated tagged entry');
      assert.equal(await cache().exists('plain'), true, 'an untagged entry is left alone');
      assertTtlWithin(await cache().ttl('plain'), HOUR, 'ttl of an untagged entry');
    });
  });

  describe('argument checks', () => {
    it('rejects bad keys with TypeError and writes nothing', async () => {
      for (const key of ['', null, undefined, {}, [], NaN, Infinity, true, Symbol('k')]) {
        await assert.rejects(async () => cache().set(key as never, 1), TypeError, `set(${String(key)})`);
        await assert.rejects(async () => cache().get(key as never), TypeError, `get(${String(key)})`);
      }
      await assert.rejects(async () => cache().multiGet(['a', '' as never]), TypeError);
      await assert.rejects(async () => cache().multiGet('a' as never), TypeError);
    });

    it('refuses to store undefined', async () => {
      await assert.rejects(async () => cache().set('k', undefined), TypeError);
      await assert.rejects(async () => cache().add('k', undefined), TypeError);
      assert.equal(await cache().exists('k'), false);
    });

    it('rejects negative, NaN and unparsable durations with RangeError and writes nothing', async () => {
      for (const ttl of [-1, NaN, 'soon', '5 parsecs', '-3s', {}]) {
        const what = `ttl ${String(ttl)}`;
        await assert.rejects(async () => cache().set('k', 1, { ttl: ttl as never }), RangeError, what);
        await assert.rejects(async () => cache().multiSet({ k: 1 }, { ttl: ttl as never }), RangeError, what);
        await assert.rejects(async () => cache().get('k', { timeout: ttl as never }), RangeError, what);
      }
      assert.equal(await cache().exists('k'), false);
      await cache().set('k', 1);
      await assert.rejects(async () => cache().expire('k', -5), RangeError);
      assert.equal(await cache().ttl('k'), Infinity);
    });
  });
}
