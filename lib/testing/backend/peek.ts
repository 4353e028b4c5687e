import assert from 'node:assert/strict';
import { KeyHandle } from '../../backends/backend.js';
import { isPromiseLike } from '../../promise.js';
import { assertMiss, assertPayload } from '../assertions.js';
import { describeCapability, type BackendSuite } from './context.js';

/** peek: `get` answered on the spot, never a promise, also when the handle's hint went stale. */
export function describePeek(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();

  // peek's answer, checked to be no promise and to agree with what get says at the same moment.
  const peekAgrees = async (handle: KeyHandle, what: string): Promise<unknown> => {
    const peeked = backend().peek(handle);
    assert.ok(!isPromiseLike(peeked), `${what}: peek answered a promise`);
    const got = await backend().get(handle.key);
    if (got === undefined) assertMiss(peeked, `${what}: get missed but peek`);
    else assertPayload(peeked, got as string | Uint8Array, `${what}: peek disagrees with get`);
    return peeked;
  };

  describeCapability(suite, 'peek', 'peek', () => {
    it('answers a stored payload and a miss on the spot, as get does', async () => {
      await backend().set('k', 'v', 0);
      assertPayload(await peekAgrees(new KeyHandle('k'), 'a stored key'), 'v', 'peek');
      assertMiss(await peekAgrees(new KeyHandle('missing'), 'a missing key'), 'peek of a missing key');
    });

    it('agrees with get through overwrite, delete and re-creation with the same handle', async () => {
      const handle = new KeyHandle('k');
      await backend().set('k', 'one', 0);
      await peekAgrees(handle, 'first read');
      await peekAgrees(handle, 'second read (from the hint)');
      await backend().set('k', 'two', 0);
      assertPayload(await peekAgrees(handle, 'after overwrite'), 'two', 'peek after overwrite');
      await backend().delete('k');
      assertMiss(await peekAgrees(handle, 'after delete'), 'peek after delete');
      await backend().set('k', 'three', 0);
      assertPayload(await peekAgrees(handle, 'after re-creation'), 'three', 'peek after re-creation');
    });

    it("never answers another key's payload when the handle's hint went stale", async () => {
      const keys = Array.from({ length: 40 }, (_, i) => `old:${i}`);
      for (const key of keys) await backend().set(key, key, 0);
      const handles = keys.map((key) => new KeyHandle(key));
      for (const handle of handles) await peekAgrees(handle, handle.key);
      // Freed places are taken by other keys: a hint may now point at one of them.
      await backend().multiDelete(keys.filter((_, i) => i % 2 === 0));
      for (let i = 0; i < 40; i++) await backend().set(`new:${i}`, `new:${i}`, 0);
      for (const [i, handle] of handles.entries()) {
        const peeked = await peekAgrees(handle, `${handle.key} after churn`);
        if (i % 2 === 0) assertMiss(peeked, `${handle.key} was deleted`);
        else assertPayload(peeked, handle.key, handle.key);
      }
      await backend().clear('');
      for (const handle of handles) assertMiss(await peekAgrees(handle, 'after clear'), handle.key);
    });

    it('misses once the entry expired, also with a hint to where it was', async () => {
      const handle = new KeyHandle('short');
      await backend().set('short', 'v', suite.time.units(1));
      backend().peek(handle);
      await suite.time.elapse(3);
      assertMiss(await peekAgrees(handle, 'after expiry'), 'peek of an expired key');
    });
  });
}
