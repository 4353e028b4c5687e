import assert from 'node:assert/strict';
import { assertMiss, assertPayload, assertTtlWithin } from '../assertions.js';
import type { BackendSuite } from './context.js';

// Every check here holds however slow the machine: a key that must still be there has a ttl of an
// hour (time.long), and a short-lived one (one unit) is only checked after three units have passed.

/** ttl, expire and expiry: `0` is "never", a miss is `undefined`, expired keys are misses everywhere. */
export function describeExpiry(suite: BackendSuite): void {
  const { describe, it } = suite.fns;
  const backend = () => suite.backend();
  const { time } = suite;

  describe('ttl / expire / expiry', () => {
    it('ttl: undefined for a missing key, Infinity with no expiry, ms left within (0, ttl] otherwise', async () => {
      await backend().set('forever', 'v', 0);
      await backend().set('timed', 'v', time.long);
      assert.equal(await backend().ttl('missing'), undefined);
      assert.equal(await backend().ttl('forever'), Infinity);
      assertTtlWithin(await backend().ttl('timed'), time.long, 'ttl of a timed key');
    });

    it('an entry is gone after its ttl: get, multiGet, exists, ttl, delete and multiDelete agree', async () => {
      await backend().set('short', 'v', time.units(1));
      await backend().set('kept', 'v', time.long);
      await time.elapse(3);
      assertMiss(await backend().get('short'), 'get');
      const [short, kept] = await backend().multiGet(['short', 'kept']);
      assertMiss(short, 'multiGet');
      assertPayload(kept, 'v', 'multiGet of a key with an hour left');
      assert.equal(await backend().exists('short'), false, 'exists');
      assert.equal(await backend().ttl('short'), undefined, 'ttl');
      assert.equal(await backend().delete('short'), 0, 'delete counts an expired key');
      assert.equal(await backend().multiDelete(['short', 'kept']), 1, 'multiDelete counts an expired key');
    });

    it('a ttl of 0 never expires', async () => {
      await backend().set('forever', 'v', 0);
      await time.elapse(3);
      assertPayload(await backend().get('forever'), 'v', 'after three units');
      assert.equal(await backend().ttl('forever'), Infinity);
    });

    it('keeps a ttl beyond the 24.8-day timer limit (a year)', async () => {
      const year = 365 * 86_400_000;
      await backend().set('long', 'v', year);
      assertTtlWithin(await backend().ttl('long'), year, 'ttl of a year', year - time.long);
      await time.elapse(3);
      assertPayload(await backend().get('long'), 'v', 'a key stored for a year');
    });

    it('add treats an expired key as absent', async () => {
      await backend().set('k', 'old', time.units(1));
      await time.elapse(3);
      assert.equal(await backend().add('k', 'new', 0), true);
      assertPayload(await backend().get('k'), 'new', 'after add over an expired key');
      assert.equal(await backend().ttl('k'), Infinity, 'the old ttl survived');
    });

    it('expire answers false for a missing or expired key, and creates nothing', async () => {
      assert.equal(await backend().expire('missing', time.long), false);
      assert.equal(await backend().expire('missing', 0), false, 'expire with 0 of a missing key');
      await backend().set('short', 'v', time.units(1));
      await time.elapse(3);
      assert.equal(await backend().expire('short', time.long), false, 'expire of an expired key');
      assert.equal(await backend().exists('missing'), false);
      assert.equal(await backend().exists('short'), false);
    });

    it('expire sets a new ttl, longer or shorter than the old one, keeping the payload', async () => {
      const tenMinutes = 600_000;
      await backend().set('k', 'v', tenMinutes);
      assert.equal(await backend().expire('k', time.long), true);
      assertTtlWithin(await backend().ttl('k'), time.long, 'ttl after lengthening', tenMinutes);
      assert.equal(await backend().expire('k', time.units(1)), true);
      await time.elapse(3);
      assertMiss(await backend().get('k'), 'after the shortened ttl ran out');
    });

    it('expire with 0 removes the expiry (persist)', async () => {
      await backend().set('k', 'v', time.long);
      assert.equal(await backend().expire('k', 0), true);
      assert.equal(await backend().ttl('k'), Infinity);
      await time.elapse(3);
      assertPayload(await backend().get('k'), 'v', 'a persisted key');
      assert.equal(await backend().ttl('k'), Infinity);
    });
  });
}
