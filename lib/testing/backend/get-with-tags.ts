import assert from 'node:assert/strict';
import type { StoredWithTags } from '../../backends/backend.js';
import { wrapPayload } from '../../tags/tagged-payload.js';
import { assertMiss, assertPayload } from '../assertions.js';
import { describeCapability, type BackendSuite } from './context.js';
import { TEXT_PAYLOADS, bytePayloads } from './payloads.js';

/**
 * getWithTags: what `get` answers, with the payloads of a tagged entry's tag keys when the backend
 * read them (it may leave them unread: `tagValues` undefined, and the cache reads them itself).
 */
export function describeGetWithTags(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();

  // The answer's shape: undefined, or { value, tagValues: undefined | an array }.
  const read = async (key: string): Promise<StoredWithTags | undefined> => {
    const answer = await backend().getWithTags(key);
    if (answer === undefined) return undefined;
    assert.equal(typeof answer, 'object', `getWithTags("${key}") answered ${String(answer)}`);
    assert.ok(
      answer.tagValues === undefined || Array.isArray(answer.tagValues),
      `getWithTags("${key}").tagValues is neither an array nor undefined`,
    );
    return answer;
  };

  describeCapability(suite, 'getWithTags', 'getWithTags', () => {
    it('answers undefined for a missing key, and an untagged payload as get does, with no tag values', async () => {
      assertMiss(await read('missing'), 'getWithTags of a missing key');
      const payloads = [...TEXT_PAYLOADS, ...bytePayloads()];
      for (const [i, payload] of payloads.entries()) await backend().set(`p${i}`, payload, 0);
      for (const [i, payload] of payloads.entries()) {
        const found = await read(`p${i}`);
        assertPayload(found?.value, payload, `payload ${i}`);
        assert.equal(found?.tagValues, undefined, `payload ${i} is untagged: no tag values`);
      }
    });

    it('answers a tagged entry whole, with its tag keys’ payloads in its header’s order if it read them', async () => {
      await backend().set('tag:a', 'token-a', 0);
      await backend().set('tag:c', 'token-c', 0);
      const stored = wrapPayload(
        '{"v":1}',
        ['tag:c', 'tag:b', 'tag:a'],
        ['x', 'y', 'z'],
        false,
      ) as Uint8Array;
      await backend().set('entry', stored, 0);
      const found = await read('entry');
      assertPayload(found?.value, stored, 'the tagged entry');
      if (found?.tagValues !== undefined) {
        assert.equal(found.tagValues.length, 3, 'one tag value per tag key');
        assertPayload(found.tagValues[0], 'token-c', 'the first tag key');
        assertMiss(found.tagValues[1], 'a missing tag key');
        assertPayload(found.tagValues[2], 'token-a', 'the third tag key');
      }
    });

    it('answers a payload that only looks tagged (a broken header) as it is', async () => {
      const looks = Uint8Array.from([0x00, 0x4c, 0x54, 0x01, 0, 0, 0, 5, 0x7b, 0x7b]);
      await backend().set('fake', looks, 0);
      assertPayload((await read('fake'))?.value, looks, 'a payload with the mark and a broken header');
    });
  });
}
