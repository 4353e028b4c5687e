import assert from 'node:assert/strict';
import { CAPABILITY_METHODS, capabilitiesOf } from '../../backends/capabilities.js';
import { Cache } from '../../cache.js';
import { isPromiseLike } from '../../promise.js';
import { assertMiss, assertPayload } from '../assertions.js';
import type { BackendSuite } from './context.js';
import { AWKWARD_KEYS, TEXT_PAYLOADS, bytePayloads } from './payloads.js';

/** The core every backend has: its shape, and get, multiGet, set, add, delete, multiDelete, exists. */
export function describeCore(suite: BackendSuite): void {
  const { describe, it } = suite.fns;
  const backend = () => suite.backend();

  describe('shape', () => {
    it('has every core method, and the capabilities the suite was set up to check', () => {
      const found = capabilitiesOf(backend());
      for (const name of CAPABILITY_METHODS) {
        const state = suite.capabilities[name];
        if (state === 'offered')
          assert.equal(found[name], true, `the suite checks ${name}(), which is missing`);
        if (state === 'absent')
          assert.equal(found[name], false, `${name}() is there, but the suite skips it`);
      }
    });

    it('names itself and says with a boolean whether it accepts live references', () => {
      assert.equal(typeof backend().name, 'string');
      assert.notEqual(backend().name, '');
      assert.equal(typeof backend().acceptsReferences, 'boolean');
    });

    it('`acceptsReferences`: when true, a stored object comes back as the same reference', async () => {
      if (!backend().acceptsReferences) return;
      const value = { nested: [1, 2] };
      await backend().set('ref', value, 0);
      assert.equal(await backend().get('ref'), value);
    });

    it('`synchronous`: absent or a boolean; when true, no core method answers with a promise', async () => {
      const hint: unknown = backend().synchronous;
      assert.ok(hint === undefined || typeof hint === 'boolean', `synchronous is ${String(hint)}`);
      if (hint !== true) return;
      const b = backend();
      const answers: [string, unknown][] = [
        ['set', b.set('k', 'v', 0)],
        ['get', b.get('k')],
        ['multiGet', b.multiGet(['k', 'missing'])],
        ['add', b.add('k2', 'v', 0)],
        ['exists', b.exists('k')],
        ['expire', b.expire('k', suite.time.long)],
        ['ttl', b.ttl('k')],
        ['delete', b.delete('k')],
        ['multiDelete', b.multiDelete(['k2'])],
        ['clear', b.clear('')],
      ];
      for (const [method, answer] of answers)
        assert.ok(!isPromiseLike(answer), `${method} answered a promise`);
    });

    it('a Cache over it round-trips a value through its default serializer', async () => {
      const serializer = backend().defaultSerializer();
      assert.equal(typeof serializer?.dumps, 'function');
      assert.equal(typeof serializer?.loads, 'function');
      // Closing the cache would close the backend; the suite closes it after the test instead.
      const cache = new Cache({ backend: backend(), namespace: 'conformance' });
      await cache.set('value', { list: [1, 'two', null], flag: false });
      assert.deepEqual(await cache.get('value'), { list: [1, 'two', null], flag: false });
    });
  });

  describe('get / set', () => {
    it('answers a miss with undefined', async () => {
      assertMiss(await backend().get('missing'), 'get of a missing key');
    });

    it('round-trips text payloads (empty, NUL, astral, 20 kB), as text or as its UTF-8 bytes', async () => {
      for (const [i, payload] of TEXT_PAYLOADS.entries()) {
        await backend().set(`text${i}`, payload, 0);
        assertPayload(await backend().get(`text${i}`), payload, `text payload ${i}`);
      }
    });

    it('round-trips byte payloads as bytes (empty, every byte, not UTF-8, a view, a Buffer)', async () => {
      for (const [i, payload] of bytePayloads().entries()) {
        await backend().set(`bytes${i}`, payload, 0);
        assertPayload(await backend().get(`bytes${i}`), payload, `byte payload ${i}`);
      }
    });

    it('keeps keys apart, whatever characters they hold (larder reserved keys included)', async () => {
      for (const key of AWKWARD_KEYS) await backend().set(key, `value of ${key}`, 0);
      for (const key of AWKWARD_KEYS) assertPayload(await backend().get(key), `value of ${key}`, key);
      assertMiss(await backend().get('glob*?[y]\\'), 'a key differing in one character');
    });

    it('set replaces the payload and its ttl', async () => {
      const { long } = suite.time;
      await backend().set('k', 'one', long);
      await backend().set('k', 'two', 0);
      assertPayload(await backend().get('k'), 'two', 'after the second set');
      assert.equal(await backend().ttl('k'), Infinity, 'set with ttl 0 keeps an expiry');
      await backend().set('k', 'three', long);
      const ttl = await backend().ttl('k');
      assert.ok(typeof ttl === 'number' && ttl > 0 && ttl <= long, `ttl after a timed set: ${ttl}`);
    });
  });

  describe('multiGet', () => {
    it('answers in the order of the keys, undefined for each miss, a repeated key each time', async () => {
      await backend().set('a', 'A', 0);
      await backend().set('b', Buffer.from('B'), 0);
      const found = await backend().multiGet(['b', 'missing', 'a', 'b', 'also missing']);
      assert.equal(found.length, 5);
      assertPayload(found[0], Buffer.from('B'), 'first');
      assertMiss(found[1], 'second');
      assertPayload(found[2], 'A', 'third');
      assertPayload(found[3], Buffer.from('B'), 'fourth (repeated key)');
      assertMiss(found[4], 'fifth');
    });

    it('answers an empty array for no keys', async () => {
      assert.deepEqual(await backend().multiGet([]), []);
    });

    it('reads many keys at once', async () => {
      const keys = Array.from({ length: 100 }, (_, i) => `many:${i}`);
      for (const key of keys) await backend().set(key, key, 0);
      const found = await backend().multiGet(keys);
      keys.forEach((key, i) => assertPayload(found[i], key, key));
    });
  });

  describe('add', () => {
    it("stores only when the key is absent, leaving a present key's payload and ttl alone", async () => {
      assert.equal(await backend().add('k', 'first', 0), true);
      assert.equal(await backend().add('k', 'second', suite.time.long), false);
      assertPayload(await backend().get('k'), 'first', 'after a refused add');
      assert.equal(await backend().ttl('k'), Infinity, 'a refused add changed the ttl');
    });

    it('lets exactly one of many concurrent adds win, and stores what the winner wrote', async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => backend().add('race', `writer ${i}`, 0)),
      );
      assert.equal(outcomes.filter((won) => won === true).length, 1, `outcomes: ${outcomes.join(',')}`);
      assert.ok(
        outcomes.every((won) => typeof won === 'boolean'),
        'add answers booleans',
      );
      assertPayload(await backend().get('race'), `writer ${outcomes.indexOf(true)}`, 'the stored payload');
    });
  });

  describe('delete / multiDelete / exists', () => {
    it('exists answers whether the key is present', async () => {
      await backend().set('here', '', 0);
      assert.equal(await backend().exists('here'), true, 'an empty payload is present');
      assert.equal(await backend().exists('missing'), false);
    });

    it('delete answers 1 for a removed key and 0 for a missing one', async () => {
      await backend().set('k', 'v', 0);
      assert.equal(await backend().delete('k'), 1);
      assert.equal(await backend().delete('k'), 0);
      assertMiss(await backend().get('k'), 'after delete');
      assert.equal(await backend().exists('k'), false);
    });

    it('multiDelete counts the keys removed: a miss not at all, a key given twice once', async () => {
      for (const key of ['a', 'b', 'c']) await backend().set(key, key, 0);
      assert.equal(await backend().multiDelete(['a', 'missing', 'b', 'a']), 2);
      assert.deepEqual(
        (await backend().multiGet(['a', 'b', 'c'])).map((found) => found === undefined),
        [true, true, false],
      );
    });

    it('multiDelete of no keys removes nothing and answers 0', async () => {
      await backend().set('a', 'a', 0);
      assert.equal(await backend().multiDelete([]), 0);
      assert.equal(await backend().exists('a'), true);
    });
  });
}
