import { expect } from 'chai';
import type { Cache } from '../../lib/index.js';
import { KeyExistsError, LockTimeoutError, OptimisticLockError, type CacheOptions } from '../../lib/index.js';

/** Builds a cache over a fresh, empty store of the backend under test. */
export type CacheFactory = (options?: Omit<CacheOptions, 'backend'>) => Promise<Cache> | Cache;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every backend must show through a `Cache`: one suite, run against each backend,
 * so they cannot drift apart. It uses real time (short ttls) so it runs unchanged over a network.
 */
export function describeCacheBehaviour(label: string, makeCache: CacheFactory): void {
  describe(`Cache behaviour on ${label}`, function () {
    const open: Cache[] = [];
    const cacheWith = async (options?: Omit<CacheOptions, 'backend'>): Promise<Cache> => {
      const cache = await makeCache(options);
      open.push(cache);
      return cache;
    };
    let cache: Cache;

    beforeEach(async function () {
      cache = await cacheWith({ namespace: 'test' });
    });

    afterEach(async function () {
      await Promise.all(open.splice(0).map((c) => c.close()));
    });

    describe('get / set', function () {
      it('round-trips JSON-able values, keeping null, 0, empty string and false as real values', async function () {
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
          expect(await cache.set(`k${i}`, value)).to.equal(true);
          expect(await cache.get(`k${i}`)).to.deep.equal(value);
        }
      });

      it('answers a miss with undefined, or with the default option', async function () {
        expect(await cache.get('missing')).to.equal(undefined);
        expect(await cache.get('missing', { default: 'fallback' })).to.equal('fallback');
        await cache.set('present', 0);
        expect(await cache.get('present', { default: 'fallback' })).to.equal(0);
      });

      it('overwrites an existing value and accepts finite numbers as keys', async function () {
        await cache.set(7, 'first');
        await cache.set('7', 'second');
        expect(await cache.get(7)).to.equal('second');
      });
    });

    describe('add', function () {
      it('stores when absent and throws KeyExistsError naming the key when present', async function () {
        expect(await cache.add('a', 1)).to.equal(true);
        const error = await cache.add('a', 2).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(KeyExistsError);
        expect((error as KeyExistsError).code).to.equal('LARDER_KEY_EXISTS');
        expect((error as KeyExistsError).key).to.equal('a');
        expect(await cache.get('a')).to.equal(1);
      });

      it('lets exactly one of many concurrent adds win', async function () {
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => cache.add('race', i)));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
        const winner = outcomes.findIndex((o) => o.status === 'fulfilled');
        expect(await cache.get('race')).to.equal(winner);
      });

      it('treats an expired key as absent', async function () {
        await cache.set('short', 1, { ttl: 30 });
        await sleep(80);
        expect(await cache.add('short', 2)).to.equal(true);
        expect(await cache.get('short')).to.equal(2);
      });
    });

    describe('multiGet / multiSet', function () {
      it('accepts pairs, a Map and a plain object, and reads back in key order with misses', async function () {
        await cache.multiSet([
          ['a', 1],
          ['b', { two: 2 }],
        ]);
        await cache.multiSet(
          new Map<string | number, unknown>([
            ['c', 'three'],
            [4, null],
          ]),
        );
        await cache.multiSet({ e: false });
        expect(await cache.multiGet(['e', 'missing', 'a', 4, 'c', 'b'])).to.deep.equal([
          false,
          undefined,
          1,
          null,
          'three',
          { two: 2 },
        ]);
      });

      it('applies one ttl to every entry', async function () {
        await cache.multiSet({ x: 1, y: 2 }, { ttl: 40 });
        const ttl = await cache.ttl('y');
        expect(ttl).to.be.within(1, 40);
        await sleep(100);
        expect(await cache.multiGet(['x', 'y'])).to.deep.equal([undefined, undefined]);
      });

      it('writes nothing when one entry is invalid', async function () {
        for (const bad of [
          [
            ['ok', 1],
            ['', 2],
          ],
          [
            ['ok', 1],
            ['bad', undefined],
          ],
          [['ok', 1], 'not a pair'],
        ]) {
          const error = await cache.multiSet(bad as never).catch((e: unknown) => e);
          expect(error).to.be.instanceOf(TypeError);
          expect(await cache.exists('ok')).to.equal(false);
        }
      });

      it('returns an empty array for no keys', async function () {
        expect(await cache.multiGet([])).to.deep.equal([]);
      });
    });

    describe('exists / delete / multiDelete', function () {
      it('reports presence and counts removed keys', async function () {
        await cache.multiSet({ a: 1, b: 2, c: 3 });
        expect(await cache.exists('a')).to.equal(true);
        expect(await cache.delete('a')).to.equal(1);
        expect(await cache.delete('a')).to.equal(0);
        expect(await cache.exists('a')).to.equal(false);
        expect(await cache.multiDelete(['b', 'c', 'missing'])).to.equal(2);
        expect(await cache.multiDelete([])).to.equal(0);
      });
    });

    describe('increment', function () {
      it('creates a missing key as delta and accumulates, negatives included', async function () {
        expect(await cache.increment('n')).to.equal(1);
        expect(await cache.increment('n', 10)).to.equal(11);
        expect(await cache.increment('n', -20)).to.equal(-9);
        expect(await cache.get('n')).to.equal(-9);
      });

      it('keeps the key ttl', async function () {
        await cache.set('n', 5, { ttl: '1h' });
        await cache.increment('n');
        expect(await cache.ttl('n')).to.be.within(3_500_000, 3_600_000);
      });

      it('throws TypeError for a stored non-integer or a non-integer delta, changing nothing', async function () {
        await cache.set('text', 'abc');
        await cache.set('float', 1.5);
        for (const key of ['text', 'float']) {
          expect(await cache.increment(key).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
        }
        expect(await cache.increment('n', 1.5).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
        expect(await cache.increment('n', '1' as never).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
        expect(await cache.exists('n')).to.equal(false);
        expect(await cache.get('text')).to.equal('abc');
      });
    });

    describe('expire / ttl', function () {
      it('reports ms left, Infinity without expiry and undefined for a missing key', async function () {
        await cache.set('forever', 1);
        await cache.set('timed', 1, { ttl: '10s' });
        expect(await cache.ttl('forever')).to.equal(Infinity);
        expect(await cache.ttl('timed')).to.be.within(9_000, 10_000);
        expect(await cache.ttl('missing')).to.equal(undefined);
      });

      it('resets or removes a ttl, and answers false for a missing key', async function () {
        await cache.set('k', 1);
        expect(await cache.expire('k', '5s')).to.equal(true);
        expect(await cache.ttl('k')).to.be.within(4_000, 5_000);
        expect(await cache.expire('k', null)).to.equal(true);
        expect(await cache.ttl('k')).to.equal(Infinity);
        await cache.expire('k', '5s');
        expect(await cache.expire('k', 0)).to.equal(true);
        expect(await cache.ttl('k')).to.equal(Infinity);
        expect(await cache.expire('missing', '5s')).to.equal(false);
      });

      it('expires entries in real time', async function () {
        await cache.set('short', 'v', { ttl: 40 });
        expect(await cache.get('short')).to.equal('v');
        await sleep(100);
        expect(await cache.get('short')).to.equal(undefined);
        expect(await cache.exists('short')).to.equal(false);
        expect(await cache.ttl('short')).to.equal(undefined);
      });

      it('uses the cache ttl by default; a per-call ttl of null never expires', async function () {
        const timed = await cacheWith({ namespace: 'timed', ttl: '2s' });
        await timed.set('a', 1);
        await timed.set('b', 1, { ttl: null });
        await timed.set('c', 1, { ttl: '30s' });
        expect(await timed.ttl('a')).to.be.within(1_000, 2_000);
        expect(await timed.ttl('b')).to.equal(Infinity);
        expect(await timed.ttl('c')).to.be.within(29_000, 30_000);
      });

      it('keeps ttls longer than the 24.8-day timer limit', async function () {
        const year = 365 * 86_400_000;
        await cache.set('long', 1, { ttl: '365d' });
        expect(await cache.ttl('long')).to.be.within(year - 5_000, year);
        expect(await cache.get('long')).to.equal(1);
      });
    });

    describe('argument checks', function () {
      it('rejects bad keys with TypeError and writes nothing', async function () {
        for (const key of ['', null, undefined, {}, [], NaN, Infinity, true, Symbol('k')]) {
          expect(await cache.set(key as never, 1).catch((e: unknown) => e), String(key)).to.be.instanceOf(
            TypeError,
          );
          expect(await cache.get(key as never).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
        }
        expect(await cache.multiGet(['a', '' as never]).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
        expect(await cache.multiGet('a' as never).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
      });

      it('refuses to store undefined', async function () {
        expect(await cache.set('k', undefined).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
        expect(await cache.add('k', undefined).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
        expect(await cache.exists('k')).to.equal(false);
      });

      it('rejects negative, NaN and unparsable durations with RangeError and writes nothing', async function () {
        for (const ttl of [-1, NaN, 'soon', '5 parsecs', '-3s', {}]) {
          expect(await cache.set('k', 1, { ttl: ttl as never }).catch((e: unknown) => e)).to.be.instanceOf(
            RangeError,
          );
          expect(
            await cache.multiSet({ k: 1 }, { ttl: ttl as never }).catch((e: unknown) => e),
          ).to.be.instanceOf(RangeError);
          expect(await cache.get('k', { timeout: ttl as never }).catch((e: unknown) => e)).to.be.instanceOf(
            RangeError,
          );
        }
        expect(await cache.exists('k')).to.equal(false);
        await cache.set('k', 1);
        expect(await cache.expire('k', -5).catch((e: unknown) => e)).to.be.instanceOf(RangeError);
        expect(await cache.ttl('k')).to.equal(Infinity);
      });
    });

    describe('namespaces, versions and key builders', function () {
      it('prefixes keys with namespace and version joined by ":"', async function () {
        const root = await cacheWith();
        const versioned = await cacheWith({ namespace: 'app', version: 2 });
        await versioned.set('user', 'v2');
        await cache.set('user', 'plain');
        expect(await root.get('app:2:user')).to.equal('v2');
        expect(await root.get('test:user')).to.equal('plain');
        const versionOnly = await cacheWith({ version: 'v9' });
        await versionOnly.set('k', 1);
        expect(await root.get('v9:k')).to.equal(1);
      });

      it('isolates namespaces and versions from each other', async function () {
        const v1 = await cacheWith({ namespace: 'app', version: 1 });
        const v2 = await cacheWith({ namespace: 'app', version: 2 });
        await v1.set('k', 'one');
        expect(await v2.get('k')).to.equal(undefined);
        expect(await cache.get('k')).to.equal(undefined);
      });

      it('takes per-call namespace and version overrides', async function () {
        await cache.set('k', 'other', { namespace: 'other' });
        expect(await cache.get('k')).to.equal(undefined);
        expect(await cache.get('k', { namespace: 'other' })).to.equal('other');
        await cache.set('k', 'v3', { version: 3 });
        expect(await cache.get('k', { version: 3 })).to.equal('v3');
        expect(await cache.get('k', { namespace: '' })).to.equal(undefined);
      });

      it('uses a custom keyBuilder everywhere, deletePattern and clear included', async function () {
        const root = await cacheWith();
        const custom = await cacheWith({
          namespace: 'ns',
          keyBuilder: (key, namespace) => `{${namespace}}/${key}`,
        });
        await custom.multiSet({ a: 1, b: 2 });
        expect(await root.get('{ns}/a')).to.equal(1);
        expect(await custom.deletePattern('a')).to.equal(1);
        await root.set('outside', 1);
        await custom.clear();
        expect(await root.multiGet(['{ns}/b', 'outside'])).to.deep.equal([undefined, 1]);
      });

      it('rejects a keyBuilder that does not return a non-empty string', async function () {
        const broken = await cacheWith({ keyBuilder: () => '' });
        expect(await broken.set('k', 1).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
      });
    });

    describe('deletePattern', function () {
      const keys = ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'hbllo'];

      beforeEach(async function () {
        await cache.multiSet(keys.map((key) => [key, key] as [string, string]));
      });

      const remaining = async (): Promise<string[]> =>
        (await cache.multiGet(keys)).filter((v): v is string => v !== undefined).sort();

      for (const [glob, removed] of [
        ['h?llo', ['hallo', 'hbllo', 'hello', 'hxllo']],
        ['h*llo', ['hallo', 'hbllo', 'heeeello', 'hello', 'hllo', 'hxllo']],
        ['h[ae]llo', ['hallo', 'hello']],
        ['h[^e]llo', ['hallo', 'hbllo', 'hxllo']],
        ['h[a-b]llo', ['hallo', 'hbllo']],
      ] as [string, string[]][]) {
        it(`removes keys matching ${glob} and counts them`, async function () {
          expect(await cache.deletePattern(glob)).to.equal(removed.length);
          expect(await remaining()).to.deep.equal(keys.filter((k) => !removed.includes(k)).sort());
        });
      }

      it('stays inside the namespace, escaping glob characters in it', async function () {
        const root = await cacheWith();
        const starred = await cacheWith({ namespace: 'te*' });
        await root.set('other:hello', 1);
        await starred.set('hello', 2);
        await root.set('tex:hello', 3);
        expect(await starred.deletePattern('*')).to.equal(1);
        expect(await cache.get('hello')).to.equal('hello');
        expect(await root.multiGet(['other:hello', 'tex:hello'])).to.deep.equal([1, 3]);
      });

      it('rejects an empty or non-string glob', async function () {
        expect(await cache.deletePattern('').catch((e: unknown) => e)).to.be.instanceOf(TypeError);
        expect(await cache.deletePattern(1 as never).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
      });
    });

    describe('clear', function () {
      it("removes only its own namespace's keys, in every version", async function () {
        const root = await cacheWith();
        const v2 = await cacheWith({ namespace: 'test', version: 2 });
        const neighbour = await cacheWith({ namespace: 'testing' });
        await cache.set('a', 1);
        await v2.set('b', 2);
        await neighbour.set('c', 3);
        await root.set('d', 4);
        expect(await cache.clear()).to.equal(true);
        expect(await root.multiGet(['test:a', 'test:2:b', 'testing:c', 'd'])).to.deep.equal([
          undefined,
          undefined,
          3,
          4,
        ]);
      });

      it('empties the whole store when the cache has no namespace', async function () {
        const root = await cacheWith();
        await cache.set('a', 1);
        await root.set('b', 2);
        await root.clear();
        expect(await cache.get('a')).to.equal(undefined);
        expect(await root.get('b')).to.equal(undefined);
      });
    });

    describe('scan', function () {
      it("walks this namespace's keys in pages, as the caller's keys, filtered by a glob", async function () {
        const root = await cacheWith();
        const other = await cacheWith({ namespace: 'other' });
        await cache.multiSet(Array.from({ length: 25 }, (_, i) => [`item:${i}`, i] as [string, number]));
        await cache.set('misc', 1);
        await other.set('item:x', 1);
        await root.set('item:root', 1);
        const pages: string[][] = [];
        for await (const page of cache.scan('item:*', { count: 5 })) pages.push(page);
        expect(pages.flat().sort()).to.deep.equal(Array.from({ length: 25 }, (_, i) => `item:${i}`).sort());
        expect(pages.length).to.be.at.least(2);
        const all: string[] = [];
        for await (const page of cache.scan()) all.push(...page);
        expect(all).to.have.length(26);
      });
    });

    describe('locks', function () {
      it('lets one holder at a time take a lock, and another after release', async function () {
        const lock = await cache.lock('job', { lease: '10s' });
        const refused = await cache.lock('job', { lease: '10s' }).catch((e: unknown) => e);
        expect(refused)
          .to.be.instanceOf(LockTimeoutError)
          .and.include({ code: 'LARDER_LOCK_TIMEOUT', key: 'job' });
        expect(await lock.release()).to.equal(true);
        expect(await lock.release()).to.equal(false);
        const next = await cache.lock('job', { lease: '10s' });
        expect(next.token).not.to.equal(lock.token);
        await next.release();
      });

      it('waits up to `wait` for a holder to release', async function () {
        const first = await cache.lock('job', { lease: '10s' });
        setTimeout(() => void first.release(), 50);
        const started = Date.now();
        const second = await cache.lock('job', { lease: '10s', wait: '2s' });
        expect(Date.now() - started).to.be.within(30, 1_500);
        await second.release();
      });

      it('expires with its lease, after which the old holder can no longer release it', async function () {
        const stale = await cache.lock('job', { lease: 40 });
        await sleep(90);
        const fresh = await cache.lock('job', { lease: '10s' });
        expect(await stale.release()).to.equal(false);
        expect(await stale.extend('10s')).to.equal(false);
        const refused = await cache.lock('job', { lease: '10s' }).catch((e: unknown) => e);
        expect(refused).to.be.instanceOf(LockTimeoutError);
        await fresh.release();
      });

      it('extends a held lease', async function () {
        const lock = await cache.lock('job', { lease: 60 });
        expect(await lock.extend('10s')).to.equal(true);
        await sleep(120);
        expect(await cache.lock('job', { lease: '1s' }).catch((e: unknown) => e)).to.be.instanceOf(
          LockTimeoutError,
        );
        await lock.release();
      });

      it('withLock runs one caller at a time and releases even when the function throws', async function () {
        let shared = 0;
        let inside = 0;
        let most = 0;
        await Promise.all(
          Array.from({ length: 5 }, () =>
            cache.withLock(
              'counter',
              async () => {
                inside++;
                most = Math.max(most, inside);
                const read = shared;
                await sleep(5);
                shared = read + 1;
                inside--;
              },
              { lease: '10s', wait: '5s' },
            ),
          ),
        );
        expect(shared).to.equal(5);
        expect(most).to.equal(1);
        const failure = await cache
          .withLock('counter', () => Promise.reject(new Error('inside')), { lease: '10s' })
          .catch((e: unknown) => e);
        expect((failure as Error).message).to.equal('inside');
        const after = await cache.lock('counter', { lease: '1s' });
        await after.release();
      });

      it('rejects a missing, zero or bad lease with RangeError', async function () {
        for (const lease of [undefined, 0, -1, 'soon']) {
          expect(await cache.lock('job', { lease } as never).catch((e: unknown) => e)).to.be.instanceOf(
            RangeError,
          );
        }
      });
    });

    describe('optimisticLock', function () {
      it('writes when nobody changed the key since it was read, repeatedly', async function () {
        await cache.set('doc', { n: 1 });
        const handle = await cache.optimisticLock('doc');
        expect(handle.value).to.deep.equal({ n: 1 });
        expect(await handle.set({ n: 2 })).to.equal(true);
        expect(await handle.set({ n: 3 }, { ttl: '1m' })).to.equal(true);
        expect(await cache.get('doc')).to.deep.equal({ n: 3 });
        expect(await cache.ttl('doc')).to.be.within(1, 60_000);
      });

      it('throws OptimisticLockError when the key changed in between, and keeps the other write', async function () {
        await cache.set('doc', { n: 1 });
        const handle = await cache.optimisticLock('doc');
        await cache.set('doc', { n: 'theirs' });
        const error = await handle.set({ n: 'mine' }).catch((e: unknown) => e);
        expect(error)
          .to.be.instanceOf(OptimisticLockError)
          .and.include({ code: 'LARDER_OPTIMISTIC_LOCK', key: 'doc' });
        expect(await cache.get('doc')).to.deep.equal({ n: 'theirs' });
      });

      it('treats a missing key as a value: the write succeeds only if it is still missing', async function () {
        const first = await cache.optimisticLock('new');
        const second = await cache.optimisticLock('new');
        expect(first.value).to.equal(undefined);
        expect(await first.set('created')).to.equal(true);
        expect(await second.set('too late').catch((e: unknown) => e)).to.be.instanceOf(OptimisticLockError);
        expect(await cache.get('new')).to.equal('created');
      });
    });

    describe('getOrSet', function () {
      it('calls the factory once for concurrent callers and caches the result', async function () {
        let calls = 0;
        const factory = async (): Promise<string> => {
          calls++;
          await sleep(20);
          return 'computed';
        };
        const results = await Promise.all(Array.from({ length: 5 }, () => cache.getOrSet('k', factory)));
        expect(results).to.deep.equal(Array(5).fill('computed'));
        expect(calls).to.equal(1);
        expect(await cache.getOrSet('k', factory)).to.equal('computed');
        expect(calls).to.equal(1);
        expect(await cache.get('k')).to.equal('computed');
      });

      it('returns a cached value without calling the factory, and honours ttl', async function () {
        await cache.set('k', 'cached');
        expect(await cache.getOrSet('k', () => 'fresh')).to.equal('cached');
        expect(await cache.getOrSet('t', () => 'fresh', { ttl: '10s' })).to.equal('fresh');
        expect(await cache.ttl('t')).to.be.within(9_000, 10_000);
      });

      it('shares a rejection with every concurrent caller and caches nothing', async function () {
        let calls = 0;
        const failing = async (): Promise<string> => {
          calls++;
          await sleep(10);
          throw new Error('factory failed');
        };
        const outcomes = await Promise.allSettled([
          cache.getOrSet('k', failing),
          cache.getOrSet('k', failing),
        ]);
        expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
        expect(calls).to.equal(1);
        expect(await cache.exists('k')).to.equal(false);
        expect(await cache.getOrSet('k', () => 'recovered')).to.equal('recovered');
      });

      it('refuses a factory result of undefined', async function () {
        expect(await cache.getOrSet('k', () => undefined).catch((e: unknown) => e)).to.be.instanceOf(
          TypeError,
        );
        expect(await cache.exists('k')).to.equal(false);
      });
    });
  });
}
