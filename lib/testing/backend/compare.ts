import assert from 'node:assert/strict';
import { assertMiss, assertPayload, assertTtlWithin } from '../assertions.js';
import { describeCapability, type BackendSuite } from './context.js';

/** compareAndSet, compareAndDelete and compareAndExpire: atomic, and only on the expected payload. */
export function describeCompare(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();
  const { time } = suite;

  describeCapability(suite, 'compareAndSet', 'compareAndSet', () => {
    it('with expected undefined, stores only if the key is absent (or expired)', async () => {
      assert.equal(await backend().compareAndSet('k', undefined, 'first', 0), true);
      assert.equal(await backend().compareAndSet('k', undefined, 'second', 0), false);
      assertPayload(await backend().get('k'), 'first', 'k');
      await backend().set('short', 'old', time.units(1));
      await time.elapse(3);
      assert.equal(await backend().compareAndSet('short', undefined, 'new', 0), true, 'over an expired key');
      assertPayload(await backend().get('short'), 'new', 'short');
    });

    it('stores only if the key holds the expected payload, as get answered it (text or bytes)', async () => {
      const bytes = Uint8Array.from([1, 0, 255]);
      for (const [key, stored] of [
        ['text', 'v1'],
        ['bytes', bytes],
      ] as const) {
        await backend().set(key, stored, 0);
        const expected = await backend().get(key);
        assert.equal(
          await backend().compareAndSet(key, 'something else', 'no', 0),
          false,
          `${key}: a wrong expected`,
        );
        assertPayload(await backend().get(key), stored, `${key} after a refused compareAndSet`);
        assert.equal(await backend().compareAndSet(key, expected, 'v2', 0), true, `${key}: the payload read`);
        assertPayload(await backend().get(key), 'v2', `${key} after compareAndSet`);
      }
    });

    it('refuses a missing key when a payload is expected, and creates nothing', async () => {
      assert.equal(await backend().compareAndSet('missing', 'v', 'new', 0), false);
      assert.equal(await backend().exists('missing'), false);
    });

    it('sets the given ttl: 0 for none, else gone after it', async () => {
      await backend().set('k', 'a', time.long);
      assert.equal(await backend().compareAndSet('k', await backend().get('k'), 'b', 0), true);
      assert.equal(await backend().ttl('k'), Infinity, 'compareAndSet with 0 kept the old ttl');
      assert.equal(await backend().compareAndSet('k', await backend().get('k'), 'c', time.long), true);
      assertTtlWithin(await backend().ttl('k'), time.long, 'ttl after compareAndSet');
      assert.equal(await backend().compareAndSet('k', await backend().get('k'), 'd', time.units(1)), true);
      await time.elapse(3);
      assertMiss(await backend().get('k'), 'after the ttl of compareAndSet ran out');
    });

    it('lets exactly one of many concurrent writers expecting the same payload win', async () => {
      await backend().set('k', 'start', 0);
      const expected = await backend().get('k');
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => backend().compareAndSet('k', expected, `writer ${i}`, 0)),
      );
      assert.equal(outcomes.filter((won) => won === true).length, 1, `outcomes: ${outcomes.join(',')}`);
      assertPayload(await backend().get('k'), `writer ${outcomes.indexOf(true)}`, 'k');
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => backend().compareAndSet('new', undefined, `writer ${i}`, 0)),
      );
      assert.equal(created.filter((won) => won === true).length, 1, `outcomes: ${created.join(',')}`);
    });
  });

  describeCapability(suite, 'compareAndDelete', 'compareAndDelete', () => {
    it('removes the key only if it holds the expected token', async () => {
      await backend().set('lock', 'token-1', time.long);
      assert.equal(await backend().compareAndDelete('lock', 'token-2'), false);
      assertPayload(await backend().get('lock'), 'token-1', 'after a wrong token');
      assert.equal(await backend().compareAndDelete('lock', 'token-1'), true);
      assert.equal(await backend().exists('lock'), false);
      assert.equal(await backend().compareAndDelete('lock', 'token-1'), false, 'a second time');
    });

    it('answers false for a missing or expired key', async () => {
      assert.equal(await backend().compareAndDelete('missing', 'token'), false);
      await backend().set('short', 'token', time.units(1));
      await time.elapse(3);
      assert.equal(await backend().compareAndDelete('short', 'token'), false);
    });

    it('lets exactly one of many concurrent callers with the token remove the key', async () => {
      await backend().set('lock', 'token', 0);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () => backend().compareAndDelete('lock', 'token')),
      );
      assert.equal(outcomes.filter((done) => done === true).length, 1, `outcomes: ${outcomes.join(',')}`);
    });
  });

  describeCapability(suite, 'compareAndExpire', 'compareAndExpire', () => {
    it('sets a new ttl only if the key holds the expected token, keeping the payload', async () => {
      const tenMinutes = 600_000;
      await backend().set('lock', 'token-1', tenMinutes);
      assert.equal(await backend().compareAndExpire('lock', 'token-2', time.long), false);
      assertTtlWithin(await backend().ttl('lock'), tenMinutes, 'ttl after a wrong token');
      assert.equal(await backend().compareAndExpire('lock', 'token-1', time.long), true);
      assertTtlWithin(await backend().ttl('lock'), time.long, 'ttl after lengthening', tenMinutes);
      assertPayload(await backend().get('lock'), 'token-1', 'the payload');
      assert.equal(await backend().compareAndExpire('lock', 'token-1', time.units(1)), true);
      await time.elapse(3);
      assertMiss(await backend().get('lock'), 'after the shortened ttl ran out');
    });

    it('with a ttl of 0, removes the expiry (as every ttl of 0 does)', async () => {
      await backend().set('lock', 'token', time.long);
      assert.equal(await backend().compareAndExpire('lock', 'token', 0), true);
      assert.equal(await backend().ttl('lock'), Infinity);
      assertPayload(await backend().get('lock'), 'token', 'the payload');
    });

    it('answers false for a missing or expired key, and creates nothing', async () => {
      assert.equal(await backend().compareAndExpire('missing', 'token', time.long), false);
      assert.equal(await backend().exists('missing'), false);
      await backend().set('short', 'token', time.units(1));
      await time.elapse(3);
      assert.equal(await backend().compareAndExpire('short', 'token', time.long), false);
      assert.equal(await backend().exists('short'), false);
    });
  });
}
