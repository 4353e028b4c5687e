import assert from 'node:assert/strict';
import { assertTtlWithin } from '../assertions.js';
import type { CacheSuite } from './context.js';

// As in the backend suite: a key that must still be there has an hour or more to live, and a
// short-lived one (one unit) is only looked at after three units, so a slow machine fails nothing.

/** ttls through a cache: defaults, per-call overrides, `null`/`0` for never, expiry. */
export function describeTime(suite: CacheSuite): void {
  const { describe, it } = suite.fns;
  const cache = () => suite.cache();
  const { time } = suite;
  const HOUR = 3_600_000;
  const MINUTE = 60_000;

  describe('expire / ttl', () => {
    it('reports ms left, Infinity without expiry and undefined for a missing key', async () => {
      await cache().set('forever', 1);
      await cache().set('timed', 1, { ttl: '1h' });
      assert.equal(await cache().ttl('forever'), Infinity);
      assertTtlWithin(await cache().ttl('timed'), HOUR, 'timed');
      assert.equal(await cache().ttl('missing'), undefined);
    });

    it('resets or removes a ttl, and answers false for a missing key', async () => {
      await cache().set('k', 1, { ttl: '1m' });
      assert.equal(await cache().expire('k', '1h'), true);
      assertTtlWithin(await cache().ttl('k'), HOUR, 'after expire 1h', MINUTE);
      assert.equal(await cache().expire('k', null), true);
      assert.equal(await cache().ttl('k'), Infinity);
      await cache().expire('k', '1h');
      assert.equal(await cache().expire('k', 0), true);
      assert.equal(await cache().ttl('k'), Infinity);
      assert.equal(await cache().expire('missing', '1h'), false);
      assert.equal(await cache().exists('missing'), false);
    });

    it('expires entries: after their ttl, get, exists and ttl all miss', async () => {
      await cache().set('short', 'v', { ttl: time.units(1) });
      await cache().set('kept', 'v', { ttl: '1h' });
      await time.elapse(3);
      assert.equal(await cache().get('short'), undefined);
      assert.equal(await cache().exists('short'), false);
      assert.equal(await cache().ttl('short'), undefined);
      assert.equal(await cache().get('kept'), 'v');
    });

    it('shortens a ttl with expire', async () => {
      await cache().set('k', 'v', { ttl: '1h' });
      assert.equal(await cache().expire('k', time.units(1)), true);
      await time.elapse(3);
      assert.equal(await cache().get('k'), undefined);
    });

    it('uses the cache ttl by default; a per-call ttl of null never expires', async () => {
      const timed = await suite.cacheWith({ namespace: 'timed', ttl: '1m' });
      await timed.set('a', 1);
      await timed.set('b', 1, { ttl: null });
      await timed.set('c', 1, { ttl: '1h' });
      assertTtlWithin(await timed.ttl('a'), MINUTE, 'the cache ttl');
      assert.equal(await timed.ttl('b'), Infinity);
      assertTtlWithin(await timed.ttl('c'), HOUR, 'a per-call ttl', MINUTE);
    });

    it('keeps ttls longer than the 24.8-day timer limit', async () => {
      const year = 365 * 86_400_000;
      await cache().set('long', 1, { ttl: '365d' });
      assertTtlWithin(await cache().ttl('long'), year, 'a year', year - HOUR);
      await time.elapse(3);
      assert.equal(await cache().get('long'), 1);
    });

    it('treats an expired key as absent for add', async () => {
      await cache().set('short', 1, { ttl: time.units(1) });
      await time.elapse(3);
      assert.equal(await cache().add('short', 2), true);
      assert.equal(await cache().get('short'), 2);
    });

    it('applies one multiSet ttl to every entry', async () => {
      await cache().multiSet({ x: 1, y: 2 }, { ttl: '1h' });
      assertTtlWithin(await cache().ttl('x'), HOUR, 'x');
      assertTtlWithin(await cache().ttl('y'), HOUR, 'y');
      await cache().multiSet({ p: 1, q: 2 }, { ttl: time.units(1) });
      await time.elapse(3);
      assert.deepEqual(await cache().multiGet(['p', 'q', 'x']), [undefined, undefined, 1]);
    });
  });
}
