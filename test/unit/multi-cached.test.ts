import { expect } from 'chai';
import sinon from 'sinon';
import { Cache, MemoryBackend, multiCached } from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';

interface User {
  id: string;
  name: string;
}
const user = (id: string): User => ({ id, name: `user ${id}` });

describe('multiCached()', function () {
  let cache: Cache;

  beforeEach(function () {
    cache = new Cache({ logger: recordingLogger().logger });
  });

  it('reads with one multiGet, calls the function once with only the missing ids, writes with one multiSet', async function () {
    const calls: string[][] = [];
    const getUsers = multiCached(
      async (ids: string[]) => {
        calls.push(ids);
        return ids.map(user);
      },
      { cache, ttl: '1m' },
    );
    // Date stands still, so the ttl read is exactly the one written, however slow the machine.
    const time = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    expect(await getUsers(['1', '2'])).to.deep.equal([user('1'), user('2')]);
    const reads = sinon.spy(cache, 'multiGet');
    const writes = sinon.spy(cache, 'multiSet');
    expect(await getUsers(['2', '3', '1', '4'])).to.deep.equal([user('2'), user('3'), user('1'), user('4')]);
    expect(calls).to.deep.equal([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(reads.callCount).to.equal(1);
    expect(writes.callCount).to.equal(1);
    expect(await cache.ttl(getUsers.keyFor('3'))).to.equal(60_000);
    time.restore();
    await getUsers(['1', '2', '3', '4']);
    expect(calls).to.have.length(2);
  });

  it('asks for a repeated missing id once', async function () {
    const calls: string[][] = [];
    const getUsers = multiCached(async (ids: string[]) => (calls.push(ids), ids.map(user)), { cache });
    expect(await getUsers(['7', '7'])).to.deep.equal([user('7'), user('7')]);
    expect(calls).to.deep.equal([['7']]);
  });

  it('answers in the function’s shape: a Map keyed by the ids asked', async function () {
    const getUsers = multiCached(async (ids: string[]) => new Map(ids.map((id) => [id, user(id)])), {
      cache,
    });
    await getUsers(['1']);
    const answer = (await getUsers(['1', '2'])) as Map<string, User>;
    expect(answer).to.be.instanceOf(Map);
    expect([...answer.keys()]).to.deep.equal(['1', '2']);
    expect(answer.get('2')).to.deep.equal(user('2'));
  });

  it('answers in the function’s shape: an object keyed by the ids asked, missing ones undefined', async function () {
    const getUsers = multiCached(
      async (ids: string[]) =>
        Object.fromEntries(ids.filter((id) => id !== 'ghost').map((id) => [id, user(id)])),
      { cache },
    );
    expect(await getUsers(['1', 'ghost'])).to.deep.equal({ '1': user('1'), ghost: undefined });
    expect(await cache.exists(getUsers.keyFor('ghost'))).to.equal(false);
  });

  it('answers a full hit in the declared shape without calling the function', async function () {
    let called = false;
    const fn = async (ids: string[]): Promise<Map<string, User>> => (
      (called = true),
      new Map(ids.map((id) => [id, user(id)]))
    );
    const warm = multiCached(fn, { cache });
    await warm(['1']);
    called = false;
    const fresh = multiCached(fn, { cache, shape: 'map' });
    const answer = await fresh(['1']);
    expect(called).to.equal(false);
    expect(answer).to.be.instanceOf(Map);
  });

  it('takes the ids from another argument, keeping the others in the key', async function () {
    const calls: unknown[][] = [];
    const getScores = multiCached(
      async (season: number, ids: string[]) => (
        calls.push([season, ids]),
        ids.map((id) => `${season}:${id}`)
      ),
      { cache, keysFrom: 1 },
    );
    expect(await getScores(2025, ['a', 'b'])).to.deep.equal(['2025:a', '2025:b']);
    expect(await getScores(2026, ['a'])).to.deep.equal(['2026:a']);
    expect(await getScores(2025, ['a'])).to.deep.equal(['2025:a']);
    expect(calls).to.deep.equal([
      [2025, ['a', 'b']],
      [2026, ['a']],
    ]);
    expect(getScores.keyFor('a', 2025, [])).not.to.equal(getScores.keyFor('a', 2026, []));
  });

  it('invalidates the ids of a call', async function () {
    let calls = 0;
    const getUsers = multiCached(async (ids: string[]) => (calls++, ids.map(user)), { cache });
    await getUsers(['1', '2']);
    expect(await getUsers.invalidate(['1', '2', '3'])).to.equal(2);
    await getUsers(['1']);
    expect(calls).to.equal(2);
  });

  it('does not store what skipCache rejects', async function () {
    const getUsers = multiCached(async (ids: string[]) => ids.map(user), {
      cache,
      skipCache: (_value, id) => id === 'temp',
    });
    await getUsers(['temp', 'kept']);
    expect(await cache.exists(getUsers.keyFor('temp'))).to.equal(false);
    expect(await cache.exists(getUsers.keyFor('kept'))).to.equal(true);
  });

  it('fails open when the cache fails, calling the function with every id', async function () {
    const backend = new MemoryBackend();
    sinon.stub(backend, 'multiGet').throws(new Error('down'));
    const broken = new Cache({ backend, logger: recordingLogger().logger });
    const getUsers = multiCached(async (ids: string[]) => ids.map(user), { cache: broken });
    expect(await getUsers(['1', '2'])).to.deep.equal([user('1'), user('2')]);
  });

  it('refuses answers that are not aligned or not a batch, and bad options', async function () {
    const short = multiCached(async (ids: string[]) => ids.slice(1), { cache });
    expect(await short(['1', '2']).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
    const scalar = multiCached(async (_ids: string[]) => 5 as unknown as number[], { cache });
    expect(await scalar(['1']).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
    const notArray = multiCached(async (ids: string[]) => ids, { cache });
    expect(await notArray('1' as never).catch((e: unknown) => e)).to.be.instanceOf(TypeError);
    expect(() => multiCached(async () => [], { keysFrom: -1 })).to.throw(RangeError);
    expect(() => multiCached(async () => [], { shape: 'list' as never })).to.throw(TypeError);
    expect(() => multiCached(async () => [], { ttl: 'soon' })).to.throw(RangeError);
  });
});
