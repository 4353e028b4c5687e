import { expect } from 'chai';
import fc from 'fast-check';
import sinon from 'sinon';
import { isDeepStrictEqual } from 'node:util';
import {
  Cache,
  HitMissRatioPlugin,
  JsonSerializer,
  MemoryBackend,
  cached,
  caches,
  callKey,
  encodeArgs,
} from '../../lib/index.js';
import { ManualClock } from '../../lib/testing/index.js';
import { DelayedBackend } from '../support/async-backend.js';
import { recordingLogger } from '../support/recording-logger.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Runs every promise job queued so far (and those they queue), as a memory cache's calls use no timers. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A cache whose time is `clock` alone: its backend expires by it, and cached() is given it too. */
function cacheOn(clock: ManualClock, logger = recordingLogger().logger): Cache {
  return new Cache({ backend: new MemoryBackend({ clock }), serializer: new JsonSerializer(), logger });
}

describe('cached()', function () {
  let cache: Cache;

  beforeEach(function () {
    cache = new Cache({ serializer: new JsonSerializer(), logger: recordingLogger().logger });
  });

  it('stores the result and answers later calls from the cache, keeping the function type', async function () {
    // On a clock of its own, so the ttl read is exactly the one written, however slow the machine.
    const cache = cacheOn(new ManualClock());
    let calls = 0;
    const getUser = cached(
      async (id: string, full: boolean) => {
        calls++;
        return { id, full };
      },
      { cache, ttl: '1m' },
    );
    const first: { id: string; full: boolean } = await getUser('42', true);
    expect(first).to.deep.equal({ id: '42', full: true });
    expect(await getUser('42', true)).to.deep.equal({ id: '42', full: true });
    expect(calls).to.equal(1);
    await getUser('42', false);
    expect(calls).to.equal(2);
    expect(await cache.ttl(getUser.keyFor('42', true))).to.equal(60_000);
    expect(getUser.cache).to.equal(cache);
  });

  it('memoises calls of every arity, with `this` passed through', async function () {
    const seen: unknown[][] = [];
    const target = {
      base: 10,
      sum: cached(
        async function (this: { base: number }, ...numbers: (number | undefined)[]) {
          seen.push(numbers);
          return numbers.reduce<number>((total, n) => total + (n ?? 0), this.base);
        },
        { cache },
      ),
    };
    for (let round = 0; round < 2; round++) {
      expect(await target.sum()).to.equal(10);
      expect(await target.sum(1)).to.equal(11);
      expect(await target.sum(undefined)).to.equal(10);
      expect(await target.sum(1, 2)).to.equal(13);
      expect(await target.sum(1, 2, 3)).to.equal(16);
    }
    // Each distinct argument list was computed once; `()` and `(undefined)` are different calls.
    expect(seen).to.deep.equal([[], [1], [undefined], [1, 2], [1, 2, 3]]);
    expect(target.sum.keyFor()).to.not.equal(target.sum.keyFor(undefined));
  });

  it('builds default keys from the function name and a stable encoding of the arguments', function () {
    async function loadUser(_query: object): Promise<number> {
      return 1;
    }
    const wrapped = cached(loadUser, { cache });
    expect(wrapped.keyFor({ a: 1, b: [2, 'x'] })).to.equal(wrapped.keyFor({ b: [2, 'x'], a: 1 }));
    expect(wrapped.keyFor({ a: 1 })).to.match(/^loadUser:/);
    expect(wrapped.keyFor({ a: 1 })).not.to.equal(wrapped.keyFor({ a: '1' }));
    const anonymous = cached(async (n: number) => n, { cache });
    expect(anonymous.keyFor(1)).to.match(/^anonymous-[\w-]{12}:\[n1\]$/);
    expect(anonymous.keyFor(1)).to.equal(cached(async (n: number) => n, { cache }).keyFor(1));
  });

  it('hashes long keys to a fixed length', function () {
    const wrapped = cached(
      async function report(text: string) {
        return text.length;
      },
      { cache },
    );
    const key = wrapped.keyFor('x'.repeat(10_000));
    expect(key).to.match(/^report:#[\w-]{43}$/);
    expect(wrapped.keyFor('y'.repeat(10_000))).not.to.equal(key);
  });

  it('takes a fixed key or a key function', async function () {
    const fixed = cached(async () => 'config', { cache, key: 'app-config' });
    await fixed();
    expect(await cache.get('app-config')).to.equal('config');
    const byId = cached(async (user: { id: string }) => user.id, { cache, key: (user) => `user:${user.id}` });
    await byId({ id: '7' });
    expect(await cache.get('user:7')).to.equal('7');
    const broken = cached(async () => 1, { cache, key: () => '' });
    expect(await broken().catch((e: unknown) => e)).to.be.instanceOf(TypeError);
  });

  it('invalidate removes the stored result', async function () {
    let calls = 0;
    const fn = cached(async (id: number) => ++calls + id, { cache });
    await fn(1);
    expect(await fn.invalidate(1)).to.equal(1);
    await fn(1);
    expect(calls).to.equal(2);
  });

  it('does not store results that skipCache rejects, nor undefined', async function () {
    let calls = 0;
    const fn = cached(
      async (n: number) => {
        calls++;
        return n < 0 ? undefined : { n, empty: n === 0 };
      },
      { cache, skipCache: (result) => result?.empty === true },
    );
    await fn(0);
    await fn(0);
    await fn(-1);
    await fn(-1);
    expect(calls).to.equal(4);
  });

  it('shares one call among concurrent callers, and one rejection that is never cached', async function () {
    let calls = 0;
    const slow = cached(
      async (id: string) => {
        calls++;
        await sleep(20);
        if (id === 'bad') throw new Error('load failed');
        return id.toUpperCase();
      },
      { cache },
    );
    expect(await Promise.all([slow('a'), slow('a'), slow('a')])).to.deep.equal(['A', 'A', 'A']);
    expect(calls).to.equal(1);
    const outcomes = await Promise.allSettled([slow('bad'), slow('bad')]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
    expect(calls).to.equal(2);
    expect(await cache.exists(slow.keyFor('bad'))).to.equal(false);
  });

  it('uses a namespace of its own when given', async function () {
    const fn = cached(async () => 1, { cache, key: 'k', namespace: 'memo' });
    await fn();
    expect(await cache.get('k', { namespace: 'memo' })).to.equal(1);
    expect(await cache.get('k')).to.equal(undefined);
  });

  it('resolves a cache alias from the registry at call time', async function () {
    caches.setConfig({ memo: { namespace: 'memo-alias' } });
    try {
      const fn = cached(async () => 'via alias', { cache: 'memo', key: 'k' });
      await fn();
      expect(await caches.get('memo').get('k')).to.equal('via alias');
      expect(fn.cache).to.equal(caches.get('memo'));
    } finally {
      caches.setConfig({});
      await caches.closeAll();
    }
  });

  // Time passes on a ManualClock that both the backend and cached() read, and a computation that
  // must still be running is held on a gate the test opens: what is served when depends on nothing
  // but the test's own steps, never on how fast the machine runs.
  describe('staleTtl', function () {
    it('serves a stale result at once while exactly one background call refreshes it', async function () {
      const clock = new ManualClock();
      let version = 0;
      let running = 0;
      let gate = Promise.resolve();
      const fn = cached(
        async () => {
          running++;
          await gate;
          running--;
          return ++version;
        },
        { cache: cacheOn(clock), key: 'k', ttl: 50, staleTtl: '5s', clock },
      );
      expect(await fn()).to.equal(1);
      clock.advance(70);
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      // Answered while the refresh cannot finish: the stale result, without waiting for it.
      let answered: number[] | undefined;
      void Promise.all([fn(), fn(), fn()]).then((values) => (answered = values));
      await settle();
      expect(answered, 'answered while the refresh is still running').to.deep.equal([1, 1, 1]);
      expect(await fn()).to.equal(1);
      expect(running).to.equal(1);
      expect(version).to.equal(1);
      open();
      await settle();
      expect(running).to.equal(0);
      expect(version).to.equal(2);
      expect(await fn()).to.equal(2);
    });

    it('computes afresh once past the stale window', async function () {
      const clock = new ManualClock();
      let version = 0;
      const fn = cached(async () => ++version, {
        cache: cacheOn(clock),
        key: 'k',
        ttl: 20,
        staleTtl: 30,
        clock,
      });
      await fn();
      clock.advance(80);
      expect(await fn()).to.equal(2);
    });
  });

  describe('staleIfError', function () {
    it('serves the stale result when the function throws after expiry, and logs the error', async function () {
      const { logger, records } = recordingLogger();
      const clock = new ManualClock();
      let fail = false;
      const fn = cached(
        async () => {
          if (fail) throw new Error('upstream down');
          return 'good';
        },
        { cache: cacheOn(clock, logger), key: 'k', ttl: 30, staleIfError: 200, clock },
      );
      expect(await fn()).to.equal('good');
      fail = true;
      clock.advance(60);
      expect(await fn()).to.equal('good');
      expect(records.some((r) => r.level === 50 && /staleIfError/.test(String(r.msg)))).to.equal(true);
      clock.advance(250);
      expect(((await fn().catch((e: unknown) => e)) as Error).message).to.equal('upstream down');
    });

    it('needs a ttl', function () {
      expect(() => cached(async () => 1, { cache, staleIfError: '1m' })).to.throw(TypeError, /ttl/);
      expect(() => cached(async () => 1, { cache, staleTtl: '1m' })).to.throw(TypeError, /ttl/);
    });
  });

  describe('hits answered on the spot (a synchronous backend)', function () {
    it('still shows every memoised hit to a plugin that observes gets', async function () {
      const ratio = new HitMissRatioPlugin();
      const observed = new Cache({ plugins: [ratio], logger: recordingLogger().logger });
      let calls = 0;
      const fn = cached(async (n: number) => n + calls++, { cache: observed });
      expect(await fn(1)).to.equal(1);
      for (let i = 0; i < 3; i++) expect(await fn(1)).to.equal(1);
      expect(calls).to.equal(1);
      expect(ratio.stats()).to.include({ hits: 3, misses: 1 });
    });

    it('reports an unreadable stored payload as get does, and calls the function', async function () {
      const backend = new MemoryBackend();
      const { logger, records } = recordingLogger();
      const corrupt = new Cache({ backend, serializer: new JsonSerializer(), logger });
      let calls = 0;
      const fn = cached(async (id: string) => `${id}-${++calls}`, { cache: corrupt });
      backend.set(fn.keyFor('a'), '{not json', 0);
      expect(await fn('a')).to.equal('a-1');
      expect(calls).to.equal(1);
      const warnings = records.filter((r) => r.level === 40).map((r) => String(r.msg));
      expect(
        warnings.some((m) => /could not be read|fail open/.test(m)),
        warnings.join('; '),
      ).to.equal(true);
      // Failing open never writes, so the payload stays unreadable and the next call computes too.
      expect(await fn('a')).to.equal('a-2');
    });

    it("remembers a key function's keys: one key call per call, hits and misses where keyFor says", async function () {
      const backend = new MemoryBackend();
      const memoised = new Cache({ backend, namespace: 'app' });
      let keyCalls = 0;
      let calls = 0;
      const fn = cached(async (id: string) => `${id}!${++calls}`, {
        cache: memoised,
        key: (id) => (keyCalls++, `user:${id}`),
      });
      expect(await fn('a')).to.equal('a!1');
      expect(keyCalls).to.equal(1);
      for (let i = 0; i < 3; i++) expect(await fn('a')).to.equal('a!1');
      expect(keyCalls).to.equal(4);
      expect(backend.get('app:user:a')).to.not.equal(undefined);
      // Deleted behind the memo's back: the remembered slot no longer holds the key, and the call
      // computes again.
      backend.delete('app:user:a');
      expect(await fn('a')).to.equal('a!2');
      expect(await fn('b')).to.equal('b!3');
      expect(await fn.invalidate('b')).to.equal(1);
      expect(await fn('b')).to.equal('b!4');
      const empty = cached(async (id: string) => id, { cache: memoised, key: () => '' });
      expect(await empty('x').catch((error: unknown) => error)).to.be.instanceOf(TypeError);
    });

    it('remembers the default keys of one-argument calls: the same keys keyFor gives (property)', async function () {
      const backend = new MemoryBackend({ maxSize: Infinity });
      const memoised = new Cache({ backend });
      let calls = 0;
      const fn = cached(async (arg: string | number) => `${String(arg)}!${++calls}`, { cache: memoised });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string({ maxLength: 250 }), fc.integer(), fc.double(), fc.constantFrom(0, -0)),
          async (arg) => {
            const before = calls;
            const first = await fn(arg);
            expect(backend.exists(fn.keyFor(arg)), `stored under keyFor(${String(arg)})`).to.equal(true);
            expect(await fn(arg)).to.equal(first);
            expect(calls - before).to.be.at.most(1);
          },
        ),
      );
      // 0 and -0 are one key, as they are for keyFor.
      expect(fn.keyFor(-0)).to.equal(fn.keyFor(0));
      await memoised.close();
    });

    it('reads hits through a namespace, key builder or serializer, and as stored without them', async function () {
      const decoy = { id: 'a', n: -1 };
      for (const [cache, stored] of [
        [new Cache(), (key: string) => key],
        [new Cache({ namespace: 'ns' }), (key: string) => `ns:${key}`],
        [new Cache({ keyBuilder: (key) => `kb/${key}` }), (key: string) => `kb/${key}`],
      ] as const) {
        let calls = 0;
        const fn = cached(async (id: string) => ({ id, n: ++calls }), { cache });
        // What sits under the key as given must not be read when the cache builds its keys.
        if (stored('k') !== 'k') cache.backend.set(fn.keyFor('a'), decoy, 0);
        expect(await fn('a')).to.deep.equal({ id: 'a', n: 1 });
        expect(await fn('a')).to.deep.equal({ id: 'a', n: 1 });
        expect(calls).to.equal(1);
        expect(cache.backend.exists(stored(fn.keyFor('a')))).to.equal(true);
        await cache.close();
      }
      // A payload is decoded by the cache's serializer, never handed back as stored.
      const json = new Cache({ serializer: new JsonSerializer() });
      const fn = cached(async (id: string) => ({ id, n: 1 }), { cache: json });
      json.backend.set(fn.keyFor('a'), JSON.stringify(decoy), 0);
      expect(await fn('a')).to.deep.equal(decoy);
      await json.close();
    });

    it('works with a backend that claims to be synchronous but answers with promises', async function () {
      class Misleading extends DelayedBackend {
        readonly synchronous = true;
      }
      const misled = new Cache({ backend: new Misleading(new MemoryBackend(), 1) });
      let calls = 0;
      const fn = cached(async (n: number) => n * 10 + calls++ * 0, { cache: misled });
      expect(await fn(4)).to.equal(40);
      expect(await fn(4)).to.equal(40);
      expect(calls).to.equal(1);
      expect(new MemoryBackend().synchronous).to.equal(true);
    });
  });

  describe('failing open', function () {
    it('calls the function when the cache fails, and logs a warning', async function () {
      const backend = new MemoryBackend();
      sinon.stub(backend, 'get').throws(new Error('cache down'));
      sinon.stub(backend, 'set').throws(new Error('cache down'));
      const { logger, records } = recordingLogger();
      const broken = new Cache({ backend, logger });
      let calls = 0;
      const fn = cached(async (n: number) => n * 2 + calls++ * 0, { cache: broken });
      expect(await fn(21)).to.equal(42);
      expect(await fn(21)).to.equal(42);
      expect(calls).to.equal(2);
      const warnings = records.filter((r) => r.level === 40).map((r) => String(r.msg));
      expect(warnings.some((m) => /fail open/.test(m))).to.equal(true);
    });

    it('calls the function when the cache is closed', async function () {
      const closed = new Cache({ logger: recordingLogger().logger });
      await closed.close();
      expect(await cached(async () => 'still works', { cache: closed })()).to.equal('still works');
    });
  });

  describe('lock', function () {
    it('lets one caller compute while others (in other wrappers) wait for its result', async function () {
      let calls = 0;
      const compute = async (): Promise<number> => {
        calls++;
        await sleep(40);
        return 7;
      };
      // Two wrappers share no in-process dedupe, as two processes would not: only the lock serializes them.
      const a = cached(compute, { cache, key: 'k', lock: { lease: '5s' } });
      const b = cached(compute, { cache, key: 'k', lock: true });
      expect(await Promise.all([a(), b(), a()])).to.deep.equal([7, 7, 7]);
      expect(calls).to.equal(1);
    });
  });

  describe('as a TC39 method decorator', function () {
    it('memoises a method per class, with `this` bound', async function () {
      let calls = 0;
      const memo = new Cache();
      class Repo {
        constructor(private readonly prefix: string) {}
        @cached({ cache: memo, ttl: '1m' })
        async find(id: string): Promise<string> {
          calls++;
          return `${this.prefix}-${id}`;
        }
      }
      const a = new Repo('x');
      expect(await a.find('1')).to.equal('x-1');
      expect(await new Repo('x').find('1')).to.equal('x-1');
      expect(calls).to.equal(1);
      expect(await memo.raw('keys')).to.deep.equal(['Repo.find:["1"]']);
    });

    it('keys each class by its own name: subclasses, statics, other arities, detached calls', async function () {
      const memo = new Cache();
      const calls: string[] = [];
      class Repo {
        @cached({ cache: memo })
        async find(...ids: string[]): Promise<string> {
          calls.push(`${this?.constructor?.name ?? 'none'}:${ids.join(',')}`);
          return ids.join('+');
        }

        @cached({ cache: memo })
        static async count(): Promise<number> {
          calls.push('count');
          return 7;
        }
      }
      class Archive extends Repo {}
      const { find } = new Repo();
      for (let round = 0; round < 2; round++) {
        expect(await new Repo().find('1')).to.equal('1');
        expect(await new Archive().find('1')).to.equal('1');
        expect(await new Repo().find('1', '2')).to.equal('1+2');
        expect(await Repo.count()).to.equal(7);
        expect(await find.call(undefined, '3')).to.equal('3');
      }
      expect(calls).to.deep.equal(['Repo:1', 'Archive:1', 'Repo:1,2', 'count', 'none:3']);
      expect([...((await memo.raw('keys')) as string[])].sort()).to.deep.equal([
        'Archive.find:["1"]',
        'Repo.count:[]',
        'Repo.find:["1","2"]',
        'Repo.find:["1"]',
        'anonymous.find:["3"]',
      ]);
    });
  });

  it('rejects bad options at wrap time', function () {
    expect(() => cached(async () => 1, { key: 5 as never })).to.throw(TypeError, /key/);
    expect(() => cached(async () => 1, { ttl: 'soon' })).to.throw(RangeError);
    expect(() => cached(async () => 1, { lock: 'yes' as never })).to.throw(TypeError, /lock/);
    expect(() => cached(async () => 1, { cache: 5 as never })).to.throw(TypeError, /cache/);
  });
});

describe('call keys', function () {
  it('encode every type unambiguously', function () {
    const distinct: unknown[][] = [
      [1],
      ['1'],
      [1n],
      [[1]],
      [true],
      ['true'],
      [null],
      [undefined],
      [],
      [{}],
      [{ a: undefined }],
      [new Date(0)],
      ['1970-01-01T00:00:00.000Z'],
      [new Map([[1, 2]])],
      [new Set([1, 2])],
      [[1, 2]],
      [new Uint8Array([1])],
      [1, 2],
      ['1,2'],
    ];
    const keys = distinct.map((args) => encodeArgs(args));
    expect(new Set(keys).size).to.equal(distinct.length);
  });

  it('refuses functions, symbols and cycles', function () {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [() => 1, Symbol('s'), cyclic]) expect(() => encodeArgs([bad])).to.throw(TypeError);
  });

  // Values whose deep equality is a fair test of "same arguments": no -0 (encoded as 0), no NaN.
  const argument = fc.letrec((tie) => ({
    leaf: fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: true }).filter((n) => !Object.is(n, -0)),
      fc.string(),
      fc.bigInt(),
      fc.date({ noInvalidDate: true }),
    ),
    value: fc.oneof(
      { depthSize: 'small' },
      tie('leaf'),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.string(), tie('value'), { maxKeys: 3, noNullPrototype: true }),
      fc.array(tie('leaf'), { maxLength: 3 }).map((items) => new Set(items)),
    ),
  })).value;

  it('are the same for the same arguments whatever the key order (property)', function () {
    fc.assert(
      fc.property(fc.array(argument, { maxLength: 3 }), (args) => {
        const shuffled = args.map(shuffleKeys);
        expect(encodeArgs(shuffled)).to.equal(encodeArgs(args));
        expect(callKey('f', shuffled)).to.equal(callKey('f', args));
      }),
    );
  });

  it('differ for different arguments (property)', function () {
    fc.assert(
      fc.property(fc.array(argument, { maxLength: 3 }), fc.array(argument, { maxLength: 3 }), (a, b) => {
        expect(encodeArgs(a) === encodeArgs(b)).to.equal(isDeepStrictEqual(a, b));
      }),
    );
  });
});

function shuffleKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shuffleKeys);
  if (
    value instanceof Set ||
    value instanceof Map ||
    value instanceof Date ||
    value === null ||
    typeof value !== 'object'
  )
    return value;
  const entries = Object.entries(value).reverse();
  return Object.fromEntries(entries.map(([key, item]) => [key, shuffleKeys(item)]));
}
