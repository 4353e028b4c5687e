import { expect } from 'chai';
import { Redis } from 'ioredis';
import {
  BackendError,
  Cache,
  OutcomeUnknownError,
  RedisBackend,
  cached,
  type Lock,
} from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedRedis } from '../support/redis-fixtures.js';
import type { RedisServer } from '../support/redis-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// A connection that drops after Redis ran a command but before its reply came back: the proxy
// lets the command through, waits for the reply, and closes the client's socket instead. ioredis
// would resend the command once it reconnects (autoResendUnfulfilledCommands), applying it twice;
// larder never resends a write, and says the outcome is unknown unless it can prove it.
describe('a lost reply (through a TCP proxy in front of a real redis-server)', function () {
  this.timeout(20_000);
  let server: RedisServer;
  let proxy: TcpProxy;
  let direct: Redis;
  let cache: Cache<unknown>;
  let namespace: string;
  let n = 0;

  before(async () => {
    server = await sharedRedis();
    direct = new Redis(server.port, '127.0.0.1');
  });
  after(async () => {
    await direct.quit();
  });
  beforeEach(async () => {
    proxy = await TcpProxy.start(server.port);
    namespace = `lost-reply-${process.pid}-${n++}`;
    cache = new Cache({ backend: throughProxy(), namespace, logger: recordingLogger().logger });
    await cache.get('warm-up'); // connected and ready before the fault is armed
  });
  afterEach(async () => {
    await cache.close();
    await proxy.close();
  });

  // The connection errors the faults cause are logged; kept out of the test's output.
  const throughProxy = (): RedisBackend =>
    new RedisBackend({ port: proxy.port, host: '127.0.0.1', logger: recordingLogger().logger });
  const stored = (key: string): Promise<string | null> => direct.get(`${namespace}:${key}`);
  // A later command on the new connection: any resend of the lost one would have reached Redis
  // before it, as ioredis resends before it sends anything new.
  const afterReconnect = (): Promise<unknown> => cache.get('after-reconnect');

  it('increment: applied once, and the answer is OutcomeUnknownError, never a doubled count', async () => {
    const lost = proxy.loseReplyTo('INCRBY');
    const answer = cache.increment('counter').then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await lost;
    const outcome = await answer;
    expect(outcome).to.have.property('error').that.is.instanceOf(OutcomeUnknownError);
    const error = (outcome as { error: OutcomeUnknownError }).error;
    expect(error).to.be.instanceOf(BackendError);
    expect(error.code).to.equal('LARDER_OUTCOME_UNKNOWN');
    expect(error.message)
      .to.match(/increment/)
      .and.match(/may or may not/);
    await afterReconnect();
    expect(await stored('counter')).to.equal('1');
  });

  it('add on an absent key: its value is stored once, and the answer is unknown, never KeyExistsError', async () => {
    const lost = proxy.loseReplyTo('NX');
    const answer = cache.add('k', 'mine').catch((error: unknown) => error);
    await lost;
    expect(await answer).to.be.instanceOf(OutcomeUnknownError);
    await afterReconnect();
    expect(await stored('k')).to.equal('"mine"');
  });

  it('set: never resent, so it cannot overwrite a newer value written meanwhile', async () => {
    const lost = proxy.loseReplyTo('first');
    const answer = cache.set('k', 'first').catch((error: unknown) => error);
    await lost;
    expect(await answer).to.be.instanceOf(OutcomeUnknownError);
    await direct.set(`${namespace}:k`, '"newer"');
    await afterReconnect();
    expect(await stored('k')).to.equal('"newer"');
  });

  it('multiSet: unknown, and each entry written once', async () => {
    const lost = proxy.loseReplyTo('MSET');
    const answer = cache
      .multiSet([
        ['a', 1],
        ['b', 2],
      ])
      .catch((error: unknown) => error);
    await lost;
    expect(await answer).to.be.instanceOf(OutcomeUnknownError);
    await direct.set(`${namespace}:a`, '10');
    await afterReconnect();
    expect(await stored('a')).to.equal('10');
    expect(await stored('b')).to.equal('2');
  });

  it('optimisticLock().set: unknown, never OptimisticLockError for a write that landed', async () => {
    await cache.set('doc', 1);
    const handle = await cache.optimisticLock('doc');
    const lost = proxy.loseReplyTo('EVAL');
    const answer = handle.set(2).catch((error: unknown) => error);
    await lost;
    expect(await answer).to.be.instanceOf(OutcomeUnknownError);
    await afterReconnect();
    expect(await stored('doc')).to.equal('2');
  });

  it('lock: proves it holds the lock when its own token is found in place', async () => {
    const lost = proxy.loseReplyTo('NX');
    const pending = cache.lock('job', { lease: '30s' });
    await lost;
    const lock: Lock = await pending;
    expect(await direct.get(`__larder:lock:${namespace}:job`)).to.equal(lock.token);
    expect(await lock.release()).to.equal(true);
    expect(await direct.exists(`__larder:lock:${namespace}:job`)).to.equal(0);
  });

  it('lock release: a lost reply still leaves the lock free, and says so', async () => {
    const lock = await cache.lock('job', { lease: '30s' });
    const lost = proxy.loseReplyTo('EVAL');
    const answer = lock.release().then(
      (released) => ({ released }),
      (error: unknown) => ({ error }),
    );
    await lost;
    const outcome = await answer;
    // The release ran, so the token is gone; whether it was still this holder's when it ran
    // cannot be told from here, and larder says so rather than guess.
    expect(outcome).to.have.property('error').that.is.instanceOf(OutcomeUnknownError);
    expect(await direct.exists(`__larder:lock:${namespace}:job`)).to.equal(0);
    expect(await cache.lock('job', { lease: '30s' })).to.have.property('token');
  });

  it('lock extend: proves the outcome by the token in place and re-extends', async () => {
    const lock = await cache.lock('job', { lease: '2s' });
    const lost = proxy.loseReplyTo('EVAL');
    const answer = lock.extend('30s');
    await lost;
    expect(await answer).to.equal(true);
    expect(await direct.pttl(`__larder:lock:${namespace}:job`)).to.be.above(20_000);
  });

  it('get: a read is retried on the new connection and answers the value', async () => {
    await cache.set('k', 'v');
    const lost = proxy.loseReplyTo('GET');
    const answer = cache.get('k');
    await lost;
    expect(await answer).to.equal('v');
    expect(proxy.connections).to.be.at.least(2);
  });

  it('getWithTtl (a MULTI of reads alone): retried on the new connection, answers value and ttl', async () => {
    await cache.set('k', 'v', { ttl: '1h' });
    const lost = proxy.loseReplyTo('PTTL');
    const answer = cache.getWithTtl('k');
    await lost;
    const hit = await answer;
    expect(hit?.value).to.equal('v');
    expect(hit?.ttl).to.be.within(1, 3_600_000);
    expect(proxy.connections).to.be.at.least(2);
  });

  it('exists and ttl (a MULTI of PTTL and GETRANGE): retried on the new connection', async () => {
    await cache.set('k', 'v', { ttl: '1h' });
    const lost = proxy.loseReplyTo('GETRANGE');
    const answer = cache.exists('k');
    await lost;
    expect(await answer).to.equal(true);
    expect(proxy.connections).to.be.at.least(2);
  });

  it('the script that reads a tagged entry with its tags: sent again on the new connection', async () => {
    let calls = 0;
    const load = cached(async () => ++calls, { cache, key: 'tagged', tags: () => ['t'] });
    expect(await load()).to.equal(1);
    const lost = proxy.loseReplyTo('EVALSHA');
    const answer = load();
    await lost;
    expect(await answer).to.equal(1);
    expect(calls).to.equal(1);
    expect(proxy.connections).to.be.at.least(2);
  });

  it('safe mode treats an unknown outcome as a failure', async () => {
    const safe = new Cache({
      backend: throughProxy(),
      namespace,
      safe: true,
      logger: recordingLogger().logger,
    });
    try {
      await safe.get('warm-up');
      const lost = proxy.loseReplyTo('INCRBY');
      const answer = safe.set('k', 'v').then(() => safe.increment('c'));
      await lost;
      // increment has no fallback in safe mode: an unknown outcome is reported, never a number.
      expect(await answer.catch((error: unknown) => error)).to.be.instanceOf(OutcomeUnknownError);
      const lostSet = proxy.loseReplyTo('"w"');
      const setAnswer = safe.set('k', 'w');
      await lostSet;
      expect(await setAnswer).to.equal(false);
    } finally {
      await safe.close();
    }
  });

  it('under repeated connection resets, no increment is ever applied twice', async () => {
    let acknowledged = 0;
    let unknown = 0;
    for (let round = 0; round < 30; round++) {
      const calls = Array.from({ length: 20 }, () =>
        cache.increment('many').then(
          () => acknowledged++,
          (error: unknown) => {
            if (error instanceof OutcomeUnknownError) unknown++;
            else if (!(error instanceof BackendError)) throw error;
          },
        ),
      );
      if (round % 3 === 0) setImmediate(() => proxy.resetAll());
      await Promise.all(calls);
    }
    await afterReconnect();
    const total = Number(await stored('many'));
    expect(unknown, 'resets that hit commands in flight').to.be.above(0);
    expect(total).to.be.at.least(acknowledged);
    expect(total).to.be.at.most(acknowledged + unknown);
  });

  it("a client given to RedisBackend, with ioredis' defaults, never resends a write either", async () => {
    const client = new Redis({ port: proxy.port, host: '127.0.0.1' });
    const given = new Cache({
      backend: new RedisBackend({ client, logger: recordingLogger().logger }),
      namespace,
      logger: recordingLogger().logger,
    });
    try {
      await given.get('warm-up');
      const lost = proxy.loseReplyTo('INCRBY');
      const answer = given.increment('given').catch((error: unknown) => error);
      await lost;
      expect(await answer).to.be.instanceOf(OutcomeUnknownError);
      expect(await given.get('after-reconnect')).to.equal(undefined);
      expect(await stored('given')).to.equal('1');
    } finally {
      await given.close();
      client.disconnect();
    }
  });

  it('multiSet with a ttl (one MULTI … EXEC) and expire: unknown, and never resent', async () => {
    const lost = proxy.loseReplyTo('MULTI');
    const answer = cache
      .multiSet(
        [
          ['t1', 1],
          ['t2', 2],
        ],
        { ttl: '1h' },
      )
      .catch((error: unknown) => error);
    await lost;
    expect(await answer).to.be.instanceOf(OutcomeUnknownError);
    await direct.set(`${namespace}:t1`, '10');
    await afterReconnect();
    expect(await stored('t1')).to.equal('10');
    const lostExpire = proxy.loseReplyTo('PEXPIRE');
    const expired = cache.expire('t2', '1m').catch((error: unknown) => error);
    await lostExpire;
    expect(await expired).to.be.instanceOf(OutcomeUnknownError);
  });
});
