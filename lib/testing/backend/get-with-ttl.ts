import assert from 'node:assert/strict';
import { assertMiss, assertPayload, assertTtlWithin } from '../assertions.js';
import { describeCapability, type BackendSuite } from './context.js';
import { TEXT_PAYLOADS, bytePayloads } from './payloads.js';

/** getWithTtl: what `get` and `ttl` answer, together; a miss is `undefined`, never an entry. */
export function describeGetWithTtl(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();
  const { time } = suite;

  // The answer's shape: undefined, or an entry whose ttlMs is a number.
  const read = async (key: string): Promise<{ value: unknown; ttlMs: number } | undefined> => {
    const answer = await backend().getWithTtl(key);
    if (answer === undefined) return undefined;
    assert.equal(typeof answer, 'object', `getWithTtl("${key}") answered ${String(answer)}`);
    assert.equal(typeof answer.ttlMs, 'number', `getWithTtl("${key}").ttlMs is not a number`);
    return answer;
  };

  describeCapability(suite, 'getWithTtl', 'getWithTtl', () => {
    it('answers undefined for a missing key', async () => {
      assertMiss(await read('missing'), 'getWithTtl of a missing key');
    });

    it('answers the payload with Infinity for no expiry, and ms left within (0, ttl] otherwise', async () => {
      await backend().set('forever', 'v1', 0);
      await backend().set('timed', 'v2', time.long);
      const forever = await read('forever');
      assertPayload(forever?.value, 'v1', 'getWithTtl of a key with no expiry');
      assert.equal(forever?.ttlMs, Infinity);
      const timed = await read('timed');
      assertPayload(timed?.value, 'v2', 'getWithTtl of a timed key');
      assertTtlWithin(timed?.ttlMs, time.long, 'getWithTtl of a timed key');
    });

    it('gives back every payload as get does, text and bytes', async () => {
      const payloads = [...TEXT_PAYLOADS, ...bytePayloads()];
      for (const [i, payload] of payloads.entries()) await backend().set(`p${i}`, payload, 0);
      for (const [i, payload] of payloads.entries()) {
        assertPayload((await read(`p${i}`))?.value, payload, `payload ${i}`);
      }
    });

    it('follows overwrite, expire, persist and delete', async () => {
      await backend().set('k', 'one', time.long);
      await backend().set('k', 'two', 0);
      const overwritten = await read('k');
      assertPayload(overwritten?.value, 'two', 'after overwrite');
      assert.equal(overwritten?.ttlMs, Infinity, 'overwrite with no ttl dropped the old one');
      await backend().expire('k', time.long);
      assertTtlWithin((await read('k'))?.ttlMs, time.long, 'after expire');
      await backend().expire('k', 0);
      assert.equal((await read('k'))?.ttlMs, Infinity, 'after expire(0)');
      await backend().delete('k');
      assertMiss(await read('k'), 'after delete');
    });

    it('misses once the entry expired', async () => {
      await backend().set('short', 'v', time.units(1));
      await backend().set('kept', 'v', time.long);
      await time.elapse(3);
      assertMiss(await read('short'), 'getWithTtl of an expired key');
      assertPayload((await read('kept'))?.value, 'v', 'a key with an hour left');
    });
  });
}
