import { KeyHandle } from '../../backends/backend.js';
import { assertMiss, assertPayload } from '../assertions.js';
import { describeCapability, type BackendSuite } from './context.js';

/** put: `set` through a handle, also when the handle's hint went stale or points at another key. */
export function describePut(suite: BackendSuite): void {
  const { it } = suite.fns;
  const backend = () => suite.backend();

  describeCapability(suite, 'put', 'put', () => {
    it('stores as set does: a new key, an overwrite, and a key deleted and written again', async () => {
      const handle = new KeyHandle('k');
      await backend().put(handle, 'one', 0);
      assertPayload(await backend().get('k'), 'one', 'get after put');
      await backend().put(handle, 'two', 0);
      assertPayload(await backend().get('k'), 'two', 'get after a second put (from the hint)');
      await backend().delete('k');
      await backend().put(handle, 'three', 0);
      assertPayload(await backend().get('k'), 'three', 'get after delete and put');
      assertPayload(backend().peek === undefined ? 'three' : backend().peek(handle), 'three', 'peek');
    });

    it("never writes over another key when the handle's hint went stale", async () => {
      const keys = Array.from({ length: 40 }, (_, i) => `old:${i}`);
      const handles = keys.map((key) => new KeyHandle(key));
      for (const handle of handles) await backend().put(handle, 'first', 0);
      // Freed places are taken by other keys: a hint may now point at one of them.
      await backend().multiDelete(keys.filter((_, i) => i % 2 === 0));
      for (let i = 0; i < 40; i++) await backend().set(`new:${i}`, `new:${i}`, 0);
      for (const handle of handles) await backend().put(handle, handle.key, 0);
      for (const key of keys) assertPayload(await backend().get(key), key, key);
      for (let i = 0; i < 40; i++) assertPayload(await backend().get(`new:${i}`), `new:${i}`, `new:${i}`);
    });

    it('gives the entry the ttl it is given, as set does', async () => {
      const handle = new KeyHandle('short');
      await backend().put(handle, 'v', 0);
      await backend().put(handle, 'v', suite.time.units(1));
      assertPayload(await backend().get('short'), 'v', 'before expiry');
      await suite.time.elapse(3);
      assertMiss(await backend().get('short'), 'after expiry');
    });
  });
}
