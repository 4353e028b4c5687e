import assert from 'node:assert/strict';
import type { Capability } from '../../backends/capabilities.js';
import { LockTimeoutError, OptimisticLockError } from '../../errors.js';
import { assertTtlWithin, hasCode } from '../assertions.js';
import { describeNeeding, gate, type CacheSuite } from './context.js';

const LOCKS = ['compareAndDelete', 'compareAndExpire'] as const;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Operations that coordinate callers: increment, locks, optimisticLock, getOrSet; and raw. */
export function describeCoordination(suite: CacheSuite): void {
  const { describe, it } = suite.fns;
  const cache = () => suite.cache();
  const { time } = suite;
  // Asserts that the lock on 'job' is held: taking it again (without waiting) is refused.
  const refusedLock = (): Promise<void> =>
    assert.rejects(
      async () => cache().lock('job', { lease: '10s' }),
      hasCode('LARDER_LOCK_TIMEOUT', LockTimeoutError),
      'the lock on "job" was taken again while it should be held',
    );

  describeNeeding(
    suite,
    ['increment'],
    'increment',
    (c) => c.increment('n'),
    () => {
      it('creates a missing key as delta and accumulates, negatives included', async () => {
        assert.equal(await cache().increment('n'), 1);
        assert.equal(await cache().increment('n', 10), 11);
        assert.equal(await cache().increment('n', -20), -9);
        assert.equal(await cache().get('n'), -9);
      });

      it('keeps the key ttl', async () => {
        await cache().set('n', 5, { ttl: '1h' });
        await cache().increment('n');
        assertTtlWithin(await cache().ttl('n'), 3_600_000, 'ttl after increment');
      });

      it('throws TypeError for a stored non-integer or a non-integer delta, changing nothing', async () => {
        await cache().set('text', 'abc');
        await cache().set('float', 1.5);
        for (const key of ['text', 'float'])
          await assert.rejects(async () => cache().increment(key), TypeError, key);
        await assert.rejects(async () => cache().increment('n', 1.5), TypeError);
        await assert.rejects(async () => cache().increment('n', '1' as never), TypeError);
        assert.equal(await cache().exists('n'), false);
        assert.equal(await cache().get('text'), 'abc');
      });

      it('throws RangeError past the safe integer range', async () => {
        await cache().set('big', Number.MAX_SAFE_INTEGER);
        await assert.rejects(async () => cache().increment('big'), RangeError);
        assert.equal(await cache().get('big'), Number.MAX_SAFE_INTEGER);
      });
    },
  );

  describeNeeding(
    suite,
    LOCKS,
    'locks',
    (c) => c.lock('job', { lease: '10s' }),
    () => {
      it('lets one holder at a time take a lock, and another after release', async () => {
        const lock = await cache().lock('job', { lease: '10s' });
        await assert.rejects(
          async () => cache().lock('job', { lease: '10s' }),
          (error) =>
            hasCode('LARDER_LOCK_TIMEOUT', LockTimeoutError)(error) &&
            (error as LockTimeoutError).key === 'job',
        );
        assert.equal(await lock.release(), true);
        assert.equal(await lock.release(), false);
        const next = await cache().lock('job', { lease: '10s' });
        assert.notEqual(next.token, lock.token);
        await next.release();
      });

      it('waits, when given a wait, until the holder releases', async () => {
        const first = await cache().lock('job', { lease: '1h' });
        const events: string[] = [];
        setTimeout(() => {
          events.push('release called');
          void first.release();
        }, 20);
        const second = await cache().lock('job', { lease: '1h', wait: '1m' });
        events.push('second acquired');
        assert.deepEqual(events, ['release called', 'second acquired']);
        await second.release();
      });

      it('expires with its lease, after which the old holder can no longer release or extend it', async () => {
        const stale = await cache().lock('job', { lease: time.units(1) });
        await time.elapse(3);
        const fresh = await cache().lock('job', { lease: '1h' });
        assert.equal(await stale.release(), false);
        assert.equal(await stale.extend('1h'), false);
        await refusedLock();
        await fresh.release();
      });

      it('extends a held lease to a new length; shortened, the lock is free after it', async () => {
        const lock = await cache().lock('job', { lease: '1h' });
        assert.equal(await lock.extend('2h'), true);
        await refusedLock();
        assert.equal(await lock.extend(time.units(1)), true);
        await time.elapse(3);
        const next = await cache().lock('job', { lease: '1h' });
        assert.equal(await lock.extend('1h'), false, 'the old holder extended a lock taken by another');
        await next.release();
      });

      it('withLock runs one caller at a time and releases even when the function throws', async () => {
        let shared = 0;
        let inside = 0;
        let most = 0;
        const critical = async (): Promise<void> => {
          inside++;
          most = Math.max(most, inside);
          const read = shared;
          await pause(5);
          shared = read + 1;
          inside--;
        };
        await Promise.all(
          Array.from({ length: 5 }, () => cache().withLock('counter', critical, { lease: '1h', wait: '1m' })),
        );
        assert.equal(shared, 5);
        assert.equal(most, 1);
        await assert.rejects(
          async () => cache().withLock('counter', () => Promise.reject(new Error('inside')), { lease: '1h' }),
          { message: 'inside' },
        );
        const after = await cache().lock('counter', { lease: '1h' });
        await after.release();
      });

      it('survives clear() of its namespace (locks are larder keys, outside every namespace)', async () => {
        const lock = await cache().lock('job', { lease: '1h' });
        await cache().clear();
        await refusedLock();
        await lock.release();
      });

      it('rejects a missing, zero or bad lease with RangeError', async () => {
        for (const lease of [undefined, 0, -1, 'soon']) {
          await assert.rejects(
            async () => cache().lock('job', { lease } as never),
            RangeError,
            String(lease),
          );
        }
      });
    },
  );

  // Tests that need two capabilities' worth of operations: defined only if the backend has both
  // (each missing one has its own "not offered" test).
  const withLocks = (title: string, needs: Capability, body: () => Promise<void>): void => {
    if ([...LOCKS, needs].every((name) => suite.capabilities[name] === 'offered')) it(title, body);
  };
  describe('locks beside deletePattern and scan', () => {
    withLocks("a held lock survives its namespace's deletePattern('*')", 'deletePattern', async () => {
      const lock = await cache().lock('job', { lease: '1h' });
      await cache().deletePattern('*');
      await (await suite.cacheWith()).deletePattern('*');
      await refusedLock();
      await lock.release();
    });

    withLocks("scan of the lock's namespace does not list it", 'scan', async () => {
      const lock = await cache().lock('job', { lease: '1h' });
      await cache().set('k', 1);
      const listed: string[] = [];
      for await (const page of cache().scan()) listed.push(...page);
      assert.deepEqual(listed, ['k']);
      await lock.release();
    });
  });

  describeNeeding(
    suite,
    ['compareAndSet'],
    'optimisticLock',
    (c) => c.optimisticLock('doc'),
    () => {
      it('writes when nobody changed the key since it was read, repeatedly', async () => {
        await cache().set('doc', { n: 1 });
        const handle = await cache().optimisticLock('doc');
        assert.deepEqual(handle.value, { n: 1 });
        assert.equal(await handle.set({ n: 2 }), true);
        assert.equal(await handle.set({ n: 3 }, { ttl: '1m' }), true);
        assert.deepEqual(await cache().get('doc'), { n: 3 });
        assertTtlWithin(await cache().ttl('doc'), 60_000, 'ttl of the last write');
      });

      it('throws OptimisticLockError when the key changed in between, and keeps the other write', async () => {
        await cache().set('doc', { n: 1 });
        const handle = await cache().optimisticLock('doc');
        await cache().set('doc', { n: 'theirs' });
        await assert.rejects(
          async () => handle.set({ n: 'mine' }),
          (error) =>
            hasCode('LARDER_OPTIMISTIC_LOCK', OptimisticLockError)(error) &&
            (error as OptimisticLockError).key === 'doc',
        );
        assert.deepEqual(await cache().get('doc'), { n: 'theirs' });
      });

      it('treats a missing key as a value: the write succeeds only if it is still missing', async () => {
        const first = await cache().optimisticLock('new');
        const second = await cache().optimisticLock('new');
        assert.equal(first.value, undefined);
        assert.equal(await first.set('created'), true);
        await assert.rejects(async () => second.set('too late'), OptimisticLockError);
        assert.equal(await cache().get('new'), 'created');
      });
    },
  );

  describe('getOrSet', () => {
    it('calls the factory once for concurrent callers and caches the result', async () => {
      let calls = 0;
      const held = gate();
      const factory = async (): Promise<string> => {
        calls++;
        await held.opened;
        return 'computed';
      };
      const results = Promise.all(Array.from({ length: 5 }, () => cache().getOrSet('k', factory)));
      await pause(10);
      held.open();
      assert.deepEqual(await results, Array(5).fill('computed'));
      assert.equal(calls, 1);
      assert.equal(await cache().getOrSet('k', factory), 'computed');
      assert.equal(calls, 1);
      assert.equal(await cache().get('k'), 'computed');
    });

    it('returns a cached value without calling the factory, and honours ttl', async () => {
      await cache().set('k', 'cached');
      assert.equal(await cache().getOrSet('k', () => 'fresh'), 'cached');
      assert.equal(await cache().getOrSet('t', () => 'fresh', { ttl: '10s' }), 'fresh');
      assertTtlWithin(await cache().ttl('t'), 10_000, 'ttl of a computed value');
    });

    it('shares a rejection with every concurrent caller and caches nothing', async () => {
      let calls = 0;
      const held = gate();
      const failing = async (): Promise<string> => {
        calls++;
        await held.opened;
        throw new Error('factory failed');
      };
      const outcomes = Promise.allSettled([cache().getOrSet('k', failing), cache().getOrSet('k', failing)]);
      await pause(10);
      held.open();
      assert.deepEqual(
        (await outcomes).map((o) => o.status),
        ['rejected', 'rejected'],
      );
      assert.equal(calls, 1);
      assert.equal(await cache().exists('k'), false);
      assert.equal(await cache().getOrSet('k', () => 'recovered'), 'recovered');
    });

    it('refuses a factory result of undefined', async () => {
      await assert.rejects(async () => cache().getOrSet('k', () => undefined), TypeError);
      assert.equal(await cache().exists('k'), false);
    });
  });

  // raw's commands are the backend's own: only its refusal on a backend without it is common.
  if (suite.capabilities.raw !== 'offered')
    describeNeeding(
      suite,
      ['raw'],
      'raw',
      (c) => c.raw('ping'),
      () => {},
    );
}
