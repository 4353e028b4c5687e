import { expect } from 'chai';
import {
  Cache,
  JsonSerializer,
  MemoryBackend,
  RateLimitError,
  LarderError,
  RedisBackend,
  rateLimited,
} from '../../../lib/index.js';
import { ManualClock } from '../../../lib/testing/index.js';
import { recordingLogger } from '../../support/recording-logger.js';
import { freePort } from '../../support/redis-server.js';

function cacheOn(clock: ManualClock, logger = recordingLogger().logger): Cache {
  return new Cache({ backend: new MemoryBackend({ clock }), serializer: new JsonSerializer(), logger });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('rateLimited()', function () {
  it('lets `limit` calls per period through and rejects the next without calling the function', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    let calls = 0;
    const ping = rateLimited(
      async function ping(n: number) {
        calls++;
        return n;
      },
      { cache, limit: 3, period: '1m' },
    );
    expect(await Promise.all([ping(1), ping(2), ping(3)])).to.deep.equal([1, 2, 3]);
    clock.advance(20_000);
    const error = await rejection(ping(4));
    expect(error).to.be.instanceOf(RateLimitError).and.instanceOf(LarderError);
    expect((error as RateLimitError).code).to.equal('LARDER_RATE_LIMITED');
    expect((error as RateLimitError).retryAfterMs).to.equal(40_000);
    // One limit for every call of the function, named by it.
    expect((error as RateLimitError).key).to.equal('ping');
    expect(await cache.get('rate-limit:ping')).to.equal(4);
    expect(calls).to.equal(3);
  });

  it('counts the window from its first call, kept by the cache: a new window lets calls through again', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    const ping = rateLimited(async () => 'pong', { cache, limit: 2, period: '10s', key: 'ping' });
    await ping();
    clock.advance(9_000);
    await ping();
    await rejection(ping());
    clock.advance(1_000);
    expect(await ping()).to.equal('pong');
    expect(await cache.ttl('rate-limit:ping')).to.equal(10_000);
  });

  it('bans a key that went over its limit for `ban` from the first rejected call, past its window', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    const ping = rateLimited(async () => 'pong', { cache, limit: 1, period: '10s', ban: '1m', key: 'ping' });
    await ping();
    const first = (await rejection(ping())) as RateLimitError;
    expect(first.retryAfterMs).to.equal(60_000);
    clock.advance(30_000);
    const later = (await rejection(ping())) as RateLimitError;
    expect(later.retryAfterMs).to.equal(30_000);
    clock.advance(29_999);
    await rejection(ping());
    clock.advance(1);
    expect(await ping()).to.equal('pong');
  });

  it('keeps one count per key from the key function, and reset() forgets one', async function () {
    const cache = cacheOn(new ManualClock());
    const hello = rateLimited(async (user: string) => `hi ${user}`, {
      cache,
      limit: 1,
      period: '1h',
      key: (user) => `user:${user}`,
    });
    expect(await hello('ann')).to.equal('hi ann');
    expect(await hello('bob')).to.equal('hi bob');
    expect(await rejection(hello('ann'))).to.be.instanceOf(RateLimitError);
    expect(await hello.reset('ann')).to.equal(1);
    expect(await hello('ann')).to.equal('hi ann');
    expect(hello.keyFor('ann')).to.equal('user:ann');
  });

  it('gives a counter whose window start was lost a ttl again at its first rejection', async function () {
    const clock = new ManualClock();
    const cache = cacheOn(clock);
    const ping = rateLimited(async () => 'pong', { cache, limit: 1, period: '10s', key: 'ping' });
    // As if a process had died between the increment and the expire.
    await cache.increment('rate-limit:ping', 5);
    expect(((await rejection(ping())) as RateLimitError).retryAfterMs).to.equal(10_000);
    clock.advance(10_000);
    expect(await ping()).to.equal('pong');
  });

  it('fails open with a warning when its cache is down, and closed with failClosed', async function () {
    const { logger, records } = recordingLogger();
    const down = new Cache({
      backend: new RedisBackend({ url: `redis://127.0.0.1:${await freePort()}`, logger }),
      timeout: 200,
      logger,
    });
    try {
      const open = rateLimited(async () => 'called', { cache: down, limit: 1, period: '1m' });
      expect(await open()).to.equal('called');
      expect(await open()).to.equal('called');
      expect(records.some((r) => r.level === 40 && /fail open/.test(String(r.msg)))).to.equal(true);
      const closed = rateLimited(async () => 'called', {
        cache: down,
        limit: 1,
        period: '1m',
        failClosed: true,
      });
      expect(await rejection(closed()))
        .to.be.instanceOf(LarderError)
        .and.not.instanceOf(RateLimitError);
    } finally {
      await down.close();
    }
  });

  it('refuses bad options with TypeError or RangeError at wrap time', function () {
    const fn = async (): Promise<number> => 1;
    expect(() => rateLimited(fn, { limit: 0, period: '1m' })).to.throw(RangeError, /limit/);
    expect(() => rateLimited(fn, { limit: 1.5, period: '1m' })).to.throw(RangeError, /limit/);
    expect(() => rateLimited(fn, { limit: 1, period: 0 })).to.throw(RangeError, /period/);
    expect(() => rateLimited(fn, { limit: 1 } as never)).to.throw(TypeError, /period/);
    expect(() => rateLimited(fn, { limit: 1, period: '1m', ban: -1 })).to.throw(RangeError, /ban/);
    expect(() => rateLimited(fn, { limit: 1, period: '1m', key: '' })).to.throw(TypeError, /key/);
    expect(() => rateLimited(fn, { limit: 1, period: '1m', limt: 2 } as never)).to.throw(
      TypeError,
      /did you mean "limit"/,
    );
    expect(() => rateLimited('nope' as never, { limit: 1, period: '1m' })).to.throw(TypeError);
    expect(() => rateLimited(fn, undefined as never)).to.throw(TypeError);
  });
});
