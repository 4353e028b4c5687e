import assert from 'node:assert/strict';
import type { KeyStat } from '../../backends/backend.js';
import { assertMiss, assertTtlWithin } from '../assertions.js';
import { describeCapability, type BackendSuite } from './context.js';
import { TEXT_PAYLOADS, bytePayloads } from './payloads.js';

/**
 * stat: what `ttl` answers, with the head of the payload `get` answers; a miss is `undefined`.
 * The cache finds tagged entries by the head's bytes, so a head that differs from the payload's
 * first bytes would hide a tagged entry's tags.
 */
export function describeStat(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();
  const { time } = suite;

  // The answer's shape: undefined, or a stat whose ttlMs is a number and head bytes or undefined.
  const stat = async (key: string, headLength: number): Promise<KeyStat | undefined> => {
    const answer = await backend().stat(key, headLength);
    if (answer === undefined) return undefined;
    assert.equal(typeof answer, 'object', `stat("${key}") answered ${String(answer)}`);
    assert.equal(typeof answer.ttlMs, 'number', `stat("${key}").ttlMs is not a number`);
    assert.ok(
      answer.head === undefined || answer.head instanceof Uint8Array,
      `stat("${key}").head is neither bytes nor undefined`,
    );
    return answer;
  };

  // Whether `head` is the first `length` bytes of what get answers (when that is bytes).
  const headAgrees = async (key: string, head: Uint8Array | undefined, length: number, what: string) => {
    const got = await backend().get(key);
    if (!(got instanceof Uint8Array)) return;
    assert.ok(head !== undefined, `${what}: get answers bytes, stat's head is undefined`);
    assert.deepEqual(
      [...head],
      [...got.subarray(0, length)],
      `${what}: stat's head is not the first ${length} bytes get answers`,
    );
  };

  describeCapability(suite, 'stat', 'stat', () => {
    it('answers undefined for a missing key', async () => {
      assertMiss(await stat('missing', 4), 'stat of a missing key');
    });

    it('answers Infinity for no expiry, and ms left within (0, ttl] otherwise', async () => {
      await backend().set('forever', 'v1', 0);
      await backend().set('timed', 'v2', time.long);
      assert.equal((await stat('forever', 4))?.ttlMs, Infinity);
      assertTtlWithin((await stat('timed', 4))?.ttlMs, time.long, 'stat of a timed key');
    });

    it('gives the first bytes of every payload get answers as bytes, short and empty ones too', async () => {
      const payloads = [...TEXT_PAYLOADS, ...bytePayloads(), Uint8Array.from([0x00, 0x4c, 0x54, 0x01, 9, 9])];
      for (const [i, payload] of payloads.entries()) await backend().set(`p${i}`, payload, 0);
      for (const length of [1, 4, 9]) {
        for (const i of payloads.keys()) {
          const found = await stat(`p${i}`, length);
          assert.ok(found !== undefined, `stat of payload ${i} missed`);
          await headAgrees(`p${i}`, found.head, length, `payload ${i}, ${length} bytes`);
        }
      }
    });

    it('follows overwrite, expire, persist and delete', async () => {
      await backend().set('k', 'one', time.long);
      await backend().set('k', Uint8Array.from([7, 8, 9]), 0);
      const overwritten = await stat('k', 2);
      assert.equal(overwritten?.ttlMs, Infinity, 'overwrite with no ttl dropped the old one');
      await headAgrees('k', overwritten?.head, 2, 'after overwrite');
      await backend().expire('k', time.long);
      assertTtlWithin((await stat('k', 2))?.ttlMs, time.long, 'after expire');
      await backend().expire('k', 0);
      assert.equal((await stat('k', 2))?.ttlMs, Infinity, 'after expire(0)');
      await backend().delete('k');
      assertMiss(await stat('k', 2), 'after delete');
    });

    it('misses once the entry expired', async () => {
      await backend().set('short', 'v', time.units(1));
      await backend().set('kept', 'v', time.long);
      await time.elapse(3);
      assertMiss(await stat('short', 4), 'stat of an expired key');
      assert.ok((await stat('kept', 4)) !== undefined, 'a key with an hour left');
    });
  });
}
