import { expect } from 'chai';
import { AsyncLocalStorage } from 'node:async_hooks';
import sinon from 'sinon';
import {
  Cache,
  JsonSerializer,
  MEMORY_BACKEND_DEFAULTS,
  MemoryBackend,
  systemClock,
  type Clock,
} from '../../../lib/index.js';
import { KeyHandle } from '../../../lib/backends/backend.js';

const DAY = 86_400_000;

/** A clock moved by hand, as `ManualClock` (larder/testing) is. */
class HandClock implements Clock {
  constructor(public time: number) {}

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}

describe('MemoryBackend', function () {
  describe('options', function () {
    it('rejects bad options, naming them', function () {
      expect(() => new MemoryBackend({ maxSize: 0 })).to.throw(RangeError, /maxSize/);
      expect(() => new MemoryBackend({ maxSize: 1.5 })).to.throw(RangeError, /maxSize/);
      expect(() => new MemoryBackend({ maxSize: '10' as never })).to.throw(RangeError, /maxSize/);
      expect(() => new MemoryBackend({ maxBytes: -1 })).to.throw(RangeError, /maxBytes/);
      expect(() => new MemoryBackend({ sweepInterval: 0 })).to.throw(RangeError, /sweepInterval/);
      expect(() => new MemoryBackend({ sweepInterval: 'often' })).to.throw(RangeError, /sweepInterval/);
      expect(() => new MemoryBackend({ sizeOf: 3 as never })).to.throw(TypeError, /sizeOf/);
      expect(() => new MemoryBackend({ clock: {} as never })).to.throw(TypeError, /clock/);
      expect(() => new MemoryBackend({ clock: Date.now as never })).to.throw(TypeError, /clock/);
    });

    it('defaults to 10 000 entries, no byte bound and a one-second sweep', function () {
      const backend = new MemoryBackend();
      expect(backend).to.include({
        maxSize: 10_000,
        maxBytes: 0,
        sweepIntervalMs: 1_000,
        acceptsReferences: true,
      });
      expect(MEMORY_BACKEND_DEFAULTS.clock).to.equal(systemClock);
    });
  });

  describe('LRU bound', function () {
    it('evicts the least recently used entry beyond maxSize; reads count as use', function () {
      const backend = new MemoryBackend({ maxSize: 3 });
      backend.set('a', 1, 0);
      backend.set('b', 2, 0);
      backend.set('c', 3, 0);
      expect(backend.get('a')).to.equal(1);
      backend.set('d', 4, 0);
      expect(backend.multiGet(['a', 'b', 'c', 'd'])).to.deep.equal([1, undefined, 3, 4]);
      backend.set('c', 30, 0);
      backend.set('e', 5, 0);
      expect(backend.multiGet(['a', 'c', 'd', 'e'])).to.deep.equal([undefined, 30, 4, 5]);
      expect(backend.size).to.equal(3);
    });

    it('bounds bytes of encoded payloads with maxBytes', async function () {
      const backend = new MemoryBackend({ maxBytes: 100 });
      expect(backend.acceptsReferences).to.equal(false);
      const cache = new Cache({ backend, serializer: new JsonSerializer() });
      await cache.set('a', 'x'.repeat(40)); // 42 bytes of JSON
      await cache.set('b', 'é'.repeat(20)); // 42 bytes: é is two bytes in UTF-8
      expect(backend.bytes).to.equal(84);
      await cache.set('c', 'z'.repeat(40));
      expect(await cache.multiGet(['a', 'b', 'c'])).to.deep.equal([
        undefined,
        'é'.repeat(20),
        'z'.repeat(40),
      ]);
      expect(backend.bytes).to.equal(84);
      await cache.delete('b');
      expect(backend.bytes).to.equal(42);
    });

    it('refuses a single value larger than maxBytes and keeps what it had', async function () {
      const backend = new MemoryBackend({ maxBytes: 10 });
      const cache = new Cache({ backend, serializer: new JsonSerializer() });
      await cache.set('k', 'ok');
      expect(await cache.set('k', 'far too long a value').catch((e: unknown) => e)).to.be.instanceOf(
        RangeError,
      );
      expect(await cache.get('k')).to.equal('ok');
    });

    it('uses sizeOf for live references', function () {
      const backend = new MemoryBackend({ maxBytes: 10, sizeOf: (value) => (value as number[]).length });
      expect(backend.acceptsReferences).to.equal(true);
      backend.set('a', [1, 2, 3, 4, 5, 6], 0);
      backend.set('b', [1, 2, 3, 4, 5, 6], 0);
      expect(backend.get('a')).to.equal(undefined);
      expect(backend.bytes).to.equal(6);
    });

    it('refuses to size a live reference without sizeOf', function () {
      const backend = new MemoryBackend({ maxBytes: 10 });
      expect(() => backend.set('k', { a: 1 }, 0)).to.throw(TypeError, /sizeOf/);
      expect(backend.size).to.equal(0);
    });
  });

  describe('expiry', function () {
    let clock: sinon.SinonFakeTimers;

    beforeEach(function () {
      clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    });

    it('never returns an expired entry', function () {
      const backend = new MemoryBackend({ sweepInterval: '1h' });
      backend.set('k', 'v', 1_000);
      clock.tick(999);
      expect(backend.get('k')).to.equal('v');
      expect(backend.ttl('k')).to.equal(1);
      clock.tick(1);
      expect(backend.get('k')).to.equal(undefined);
      expect(backend.exists('k')).to.equal(false);
      expect(backend.ttl('k')).to.equal(undefined);
    });

    it('reclaims expired entries in the background without any read', function () {
      const backend = new MemoryBackend({ sweepInterval: 500 });
      for (let i = 0; i < 1_000; i++) backend.set(`short${i}`, i, 1_000 + i);
      backend.set('forever', 1, 0);
      backend.set('later', 1, 60_000);
      expect(backend.size).to.equal(1_002);
      clock.tick(1_500);
      expect(backend.size).to.equal(501);
      clock.tick(1_000);
      expect(backend.size).to.equal(2);
      clock.tick(60_000);
      expect(backend.size).to.equal(1);
    });

    it('follows a ttl changed by expire, set or increment', function () {
      const backend = new MemoryBackend({ sweepInterval: 100 });
      backend.set('extended', 1, 1_000);
      backend.expire('extended', 10_000);
      backend.set('persisted', 1, 1_000);
      backend.expire('persisted', 0);
      backend.set('rewritten', 1, 1_000);
      backend.set('rewritten', 2, 0);
      backend.set('counter', 1, 1_000);
      backend.increment('counter', 1, 1);
      clock.tick(2_000);
      expect(backend.multiGet(['extended', 'persisted', 'rewritten', 'counter'])).to.deep.equal([
        1,
        1,
        2,
        undefined,
      ]);
      clock.tick(10_000);
      expect(backend.get('extended')).to.equal(undefined);
    });

    it('keeps entries for ttls beyond the 24.8-day timer limit, and expires them on time', function () {
      const backend = new MemoryBackend();
      backend.set('month', 1, 30 * DAY);
      backend.set('years', 1, 3 * 365 * DAY);
      clock.tick(29 * DAY);
      expect(backend.get('month')).to.equal(1);
      expect(backend.ttl('month')).to.equal(DAY);
      clock.tick(DAY);
      expect(backend.size).to.equal(1);
      expect(backend.ttl('years')).to.equal((3 * 365 - 30) * DAY);
    });

    it('keeps the expiry heap bounded when the same keys are rewritten', function () {
      const backend = new MemoryBackend({ sweepInterval: '1h' });
      for (let round = 0; round < 50; round++) {
        for (let i = 0; i < 100; i++) backend.set(`k${i}`, round, DAY);
      }
      // Rewrites leave stale heap nodes; compaction must have dropped most of them.
      clock.tick(DAY);
      expect(backend.size).to.equal(0);
      backend.set('k', 1, 1_000);
      clock.tick(1_000);
      expect(backend.get('k')).to.equal(undefined);
    });

    it('stops its sweep timer when nothing can expire, and on close', function () {
      const backend = new MemoryBackend({ sweepInterval: 100 });
      backend.set('k', 1, 150);
      expect(clock.countTimers()).to.equal(1);
      clock.tick(300);
      expect(clock.countTimers()).to.equal(0);
      backend.set('k', 1, 150);
      backend.close();
      expect(clock.countTimers()).to.equal(0);
      expect(backend.size).to.equal(0);
    });
  });

  describe('injected clock', function () {
    it('makes every expiry decision by the injected clock, never by Date.now()', function () {
      const timers = sinon.useFakeTimers({
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
      });
      sinon.stub(Date, 'now').throws(new Error('the backend read Date.now()'));
      const clock = new HandClock(Date.UTC(2026, 0, 1));
      const backend = new MemoryBackend({ clock, sweepInterval: 10 });
      backend.set('set', 1, 100);
      expect(backend.add('add', 1, 100)).to.equal(true);
      backend.multiSet([['multi', 1]], 100);
      backend.set('expire', 1, 0);
      expect(backend.expire('expire', 100)).to.equal(true);
      backend.set('cas', 'a', 0);
      expect(backend.compareAndSet('cas', 'a', 'b', 100)).to.equal(true);
      backend.set('lock', 'token', 50);
      expect(backend.compareAndExpire('lock', 'token', 100)).to.equal(true);
      backend.set('pattern:1', 1, 100);
      backend.set('unread', 1, 100);
      expect(backend.ttl('set')).to.equal(100);

      clock.advance(99);
      expect(backend.ttl('set')).to.equal(1);
      expect(backend.multiGet(['set', 'add', 'multi', 'expire', 'cas', 'lock'])).to.deep.equal([
        1,
        1,
        1,
        1,
        'b',
        'token',
      ]);
      expect(backend.add('set', 2, 0)).to.equal(false);

      clock.advance(1);
      expect(backend.get('set')).to.equal(undefined);
      expect(backend.peek(new KeyHandle('add'))).to.equal(undefined);
      expect(backend.multiGet(['multi'])).to.deep.equal([undefined]);
      expect(backend.exists('expire')).to.equal(false);
      expect(backend.ttl('cas')).to.equal(undefined);
      expect(backend.compareAndDelete('lock', 'token')).to.equal(false);
      expect(backend.deletePattern('pattern:*')).to.equal(0);
      expect(backend.add('set', 2, 0)).to.equal(true);
      // 'unread' was never read: the background sweep, timed by the same clock, reclaims it.
      expect(backend.size).to.equal(2);
      timers.tick(1_000);
      expect(backend.size).to.equal(1);
      expect(backend.get('set')).to.equal(2);
      backend.close();
    });
  });

  describe('the sweep timer', function () {
    const T0 = Date.UTC(2026, 0, 1);
    const MINUTE = 60_000;
    let timers: sinon.SinonFakeTimers;
    let clock: Clock;

    beforeEach(function () {
      // Date is left alone: the backend reads the injected clock, which reads the fake timers' time.
      timers = sinon.useFakeTimers({
        now: T0,
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
      });
      clock = { now: () => timers.now };
    });

    /** Fires timers one by one until none is left or one fires past `until`; returns when each fired. */
    function wakeUps(until = Infinity): number[] {
      const times: number[] = [];
      while (timers.countTimers() > 0 && times.length < 1_000) {
        timers.next();
        if (timers.now - T0 > until) break;
        times.push(timers.now - T0);
      }
      return times;
    }

    it('wakes once, when the only entry expires: a 10-minute ttl, no wake-up before 10 minutes', function () {
      const backend = new MemoryBackend({ clock });
      backend.set('k', 1, 10 * MINUTE);
      expect(timers.countTimers()).to.equal(1);
      expect(wakeUps()).to.deep.equal([10 * MINUTE]);
      // Reclaimed without a read, and nothing is left to wake for.
      expect(backend.size).to.equal(0);
      expect(timers.countTimers()).to.equal(0);
    });

    it('is re-aimed when an earlier expiry is scheduled, and keeps one timer', function () {
      const backend = new MemoryBackend({ clock });
      backend.set('late', 1, 10 * MINUTE);
      backend.set('early', 1, 5_000);
      backend.set('between', 1, MINUTE);
      expect(timers.countTimers()).to.equal(1);
      timers.tick(5_000);
      expect(backend.raw('keys', [])).to.have.members(['late', 'between']);
      expect(wakeUps()).to.deep.equal([MINUTE, 10 * MINUTE]);
      expect(backend.size).to.equal(0);
    });

    it('batches: never runs sooner than sweepInterval after the previous run', function () {
      const backend = new MemoryBackend({ clock, sweepInterval: 300 });
      for (let i = 1; i <= 100; i++) backend.set(`k${i}`, i, 10 * i);
      const sizes: number[] = [];
      const times: number[] = [];
      while (timers.countTimers() > 0) {
        timers.next();
        times.push(timers.now - T0);
        sizes.push(backend.size);
      }
      expect(times).to.deep.equal([300, 600, 900, 1_200]);
      expect(sizes).to.deep.equal([70, 40, 10, 0]);
    });

    it('reaches expiries beyond the 24.8-day timer limit in steps, and reclaims them on time', function () {
      const backend = new MemoryBackend({ clock });
      backend.set('month', 1, 30 * DAY);
      backend.set('years', 1, 3 * 365 * DAY);
      expect(wakeUps(30 * DAY)).to.deep.equal([2_147_483_647, 30 * DAY]);
      expect(backend.raw('keys', [])).to.deep.equal(['years']);
      const rest = wakeUps();
      expect(rest.at(-1)).to.equal(3 * 365 * DAY);
      expect(rest.length).to.be.at.most(Math.ceil((3 * 365 * DAY) / 2_147_483_647));
      expect(backend.size).to.equal(0);
    });

    it('sets no timer while nothing expires, and none after close', function () {
      const backend = new MemoryBackend({ clock });
      backend.set('forever', 1, 0);
      backend.multiSet([['also', 1]], 0);
      backend.increment('n', 1, 1);
      expect(timers.countTimers()).to.equal(0);
      backend.set('k', 1, MINUTE);
      backend.delete('k');
      // The timer finds nothing due and is not set again.
      expect(wakeUps()).to.deep.equal([MINUTE]);
      expect(timers.countTimers()).to.equal(0);
      backend.set('k', 1, MINUTE);
      backend.close();
      expect(timers.countTimers()).to.equal(0);
      backend.set('k', 1, MINUTE);
      expect(backend.add('k2', 1, MINUTE)).to.equal(true);
      expect(timers.countTimers()).to.equal(0);
    });

    it('stops when a sweep for a read (raw, scan) leaves nothing to expire', function () {
      const backend = new MemoryBackend({ clock });
      backend.set('k', 1, MINUTE);
      timers.setSystemTime(T0 + MINUTE);
      expect(backend.raw('size', [])).to.equal(0);
      expect(timers.countTimers()).to.equal(0);
    });
  });

  it('runs its sweep outside the async context of the write that set its timer', async function () {
    const storage = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    // The sweep reads the clock when it runs: the clock sees which store is current there.
    const clock: Clock = {
      now: () => {
        seen.push(storage.getStore());
        return Date.now();
      },
    };
    const backend = new MemoryBackend({ clock, sweepInterval: 1 });
    storage.run('request', () => backend.set('k', 1, 1));
    seen.length = 0;
    // Timers fire in the order they fall due: the sweep's (1 ms) before this one.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(backend.size).to.equal(0);
    expect(seen.length).to.be.above(0);
    expect(seen).to.not.include('request');
  });

  it('expires and reclaims entries in real time', async function () {
    const backend = new MemoryBackend({ sweepInterval: 20 });
    for (let i = 0; i < 100; i++) backend.set(`k${i}`, i, 30);
    expect(backend.size).to.equal(100);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(backend.size).to.equal(0);
  });

  describe('increment', function () {
    it('keeps the stored form: numbers stay numbers, numeric text stays text', function () {
      const backend = new MemoryBackend();
      expect(backend.increment('n', 2, 2)).to.equal(2);
      expect(backend.increment('n', 3, 3)).to.equal(5);
      expect(backend.get('n')).to.equal(5);
      backend.set('t', '41', 0);
      expect(backend.increment('t', 1, '1')).to.equal(42);
      expect(backend.get('t')).to.equal('42');
      expect(backend.increment('new', 7, '7')).to.equal(7);
      expect(backend.get('new')).to.equal('7');
    });

    it('refuses values that are not integers and a result past the safe range', function () {
      const backend = new MemoryBackend();
      for (const value of ['4.5', 'abc', '', 4.5, new Uint8Array([0x35]), { n: 1 }]) {
        backend.set('k', value, 0);
        expect(() => backend.increment('k', 1, 1), String(value)).to.throw(TypeError);
        expect(backend.get('k')).to.equal(value);
      }
      backend.set('big', Number.MAX_SAFE_INTEGER, 0);
      expect(() => backend.increment('big', 1, 1)).to.throw(RangeError);
      expect(backend.get('big')).to.equal(Number.MAX_SAFE_INTEGER);
    });
  });

  describe('remembered keys (readRemembered)', function () {
    it('reads as get does, and honours a subclass that overrides get', function () {
      const backend = new MemoryBackend();
      backend.set('k', 1, 0);
      const remembered = new KeyHandle('k');
      expect(backend.peek(remembered)).to.equal(1);
      expect(remembered.hint).to.be.at.least(0);
      backend.delete('k');
      expect(backend.peek(remembered)).to.equal(undefined);

      class Counting extends MemoryBackend {
        reads = 0;
        override get(key: string): unknown {
          this.reads++;
          return super.get(key);
        }
      }
      const counting = new Counting();
      counting.set('k', 2, 0);
      expect(counting.peek(new KeyHandle('k'))).to.equal(2);
      expect(counting.reads).to.equal(1);
    });
  });

  describe('deletePattern', function () {
    it('matches over UTF-8 bytes as Redis does: h?llo leaves héllo, h??llo removes it', function () {
      const backend = new MemoryBackend();
      for (const key of ['hello', 'héllo', '__larder:lock:hello']) backend.set(key, 1, 0);
      expect(backend.deletePattern('h?llo')).to.equal(1);
      expect(backend.raw('keys', [])).to.have.members(['héllo', '__larder:lock:hello']);
      expect(backend.deletePattern('h??llo')).to.equal(1);
      expect(backend.deletePattern('*')).to.equal(0);
      expect(backend.raw('keys', ['__larder:*'])).to.deep.equal(['__larder:lock:hello']);
    });
  });

  describe('raw', function () {
    it('answers size, bytes and keys, and refuses other commands', function () {
      const backend = new MemoryBackend();
      backend.set('user:1', 1, 0);
      backend.set('user:2', 1, 0);
      backend.set('other', 1, 0);
      expect(backend.raw('size', [])).to.equal(3);
      expect(backend.raw('BYTES', [])).to.equal(0);
      expect(backend.raw('keys', ['user:*'])).to.deep.equal(['user:1', 'user:2']);
      expect(() => backend.raw('flushall', [])).to.throw(TypeError, /size, bytes, keys/);
    });
  });
});
