import { expect } from 'chai';
import fc from 'fast-check';
import sinon from 'sinon';
import {
  BackendError,
  Cache,
  JsonSerializer,
  MemoryBackend,
  MsgpackSerializer,
  RESERVED_KEY_PREFIX,
  StringSerializer,
  cached,
  multiCached,
  type Backend,
  type Plugin,
} from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';

// A promise the test settles when it chooses: the factory's latch.
function latch<T>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

// Every tag bookkeeping key the backend holds.
async function tagKeys(backend: MemoryBackend): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of backend.scan(`${RESERVED_KEY_PREFIX}tag:*`, 1000)) keys.push(...page);
  return keys;
}

const SERIALIZERS = {
  null: undefined,
  json: new JsonSerializer(),
  msgpack: new MsgpackSerializer(),
  'json with compress and secret': new JsonSerializer({
    compress: 'gzip',
    compressThreshold: 0,
    secret: 's3cret',
  }),
};

describe('tags', function () {
  for (const [name, serializer] of Object.entries(SERIALIZERS)) {
    it(`an invalidated tag makes its entries miss through get, multiGet, exists and ttl (${name} serializer)`, async function () {
      const cache = new Cache({ namespace: 'app', serializer });
      await cache.set('p1', { id: 1 }, { tags: ['product:1', 'catalog'] });
      await cache.set('p2', { id: 2 }, { tags: ['product:2', 'catalog'] });
      await cache.set('plain', { id: 0 });
      expect(await cache.get('p1')).to.deep.equal({ id: 1 });
      expect(await cache.multiGet(['p1', 'p2', 'plain'])).to.deep.equal([{ id: 1 }, { id: 2 }, { id: 0 }]);
      expect(await cache.exists('p1')).to.equal(true);
      expect(await cache.ttl('p1')).to.equal(Infinity);

      expect(await cache.invalidateTags(['product:1'])).to.equal(1);
      expect(await cache.get('p1')).to.equal(undefined);
      expect(await cache.get('p1', { default: 'none' })).to.equal('none');
      expect(await cache.get('p2')).to.deep.equal({ id: 2 });
      expect(await cache.multiGet(['p1', 'p2', 'plain'])).to.deep.equal([undefined, { id: 2 }, { id: 0 }]);
      expect(await cache.exists('p1')).to.equal(false);
      expect(await cache.ttl('p1')).to.equal(undefined);

      expect(await cache.invalidateTags(['catalog'])).to.equal(1);
      expect(await cache.multiGet(['p1', 'p2', 'plain'])).to.deep.equal([undefined, undefined, { id: 0 }]);
      expect(await cache.exists('plain')).to.equal(true);
      expect(await cache.ttl('plain')).to.equal(Infinity);
    });
  }

  it('tags add and multiSet writes too, and a write after an invalidation is current again', async function () {
    const cache = new Cache();
    await cache.add('a', 1, { tags: ['t'] });
    await cache.multiSet(
      [
        ['b', 2],
        ['c', 3],
      ],
      { tags: ['t', 'u'] },
    );
    expect(await cache.multiGet(['a', 'b', 'c'])).to.deep.equal([1, 2, 3]);
    await cache.invalidateTags(['t']);
    expect(await cache.multiGet(['a', 'b', 'c'])).to.deep.equal([undefined, undefined, undefined]);
    await cache.set('a', 4, { tags: ['t'] });
    expect(await cache.get('a')).to.equal(4);
  });

  it('optimisticLock reads an invalidated entry as missing, and its set replaces the entry', async function () {
    const cache = new Cache();
    await cache.set('k', 1, { tags: ['t'] });
    expect((await cache.optimisticLock('k')).value).to.equal(1);
    await cache.invalidateTags(['t']);
    const lock = await cache.optimisticLock('k');
    expect(lock.value).to.equal(undefined);
    await lock.set(2);
    expect(await cache.get('k')).to.equal(2);
  });

  it('peek answers a tagged entry while its tags are current, undefined after', async function () {
    for (const serializer of [undefined, new JsonSerializer()]) {
      const cache = new Cache({ serializer });
      await cache.set('k', { a: 1 }, { tags: ['t'] });
      expect(cache.peek('k')).to.deep.equal({ a: 1 });
      await cache.invalidateTags(['t']);
      expect(cache.peek('k')).to.equal(undefined);
    }
  });

  it('works with a StringSerializer and a memory backend bounded by maxBytes', async function () {
    const cache = new Cache({
      backend: new MemoryBackend({ maxBytes: 10_000 }),
      serializer: new StringSerializer(),
    });
    await cache.set('k', 'v', { tags: ['t'] });
    expect(await cache.get('k')).to.equal('v');
    await cache.invalidateTags(['t']);
    expect(await cache.get('k')).to.equal(undefined);
  });

  it('resolves to the number of tags given, with one write for all of them', async function () {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend });
    await cache.set('k', 1, { tags: ['a', 'b'] });
    const multiSet = sinon.spy(backend, 'multiSet');
    const set = sinon.spy(backend, 'set');
    expect(await cache.invalidateTags(['a', 'a', 'b'])).to.equal(3);
    expect(multiSet.callCount).to.equal(1);
    expect(set.callCount).to.equal(0);
    expect(await cache.invalidateTags([])).to.equal(0);
    expect(multiSet.callCount, 'no tags, no write').to.equal(1);
  });

  it('an untagged entry is stored as it always was: the same payload, no tag key read or written', async function () {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend, serializer: new JsonSerializer() });
    const multiGet = sinon.spy(backend, 'multiGet');
    await cache.set('k', { a: 1 });
    expect(backend.get('k')).to.equal('{"a":1}');
    expect(await cache.get('k')).to.deep.equal({ a: 1 });
    expect(await cache.getOrSet('k', () => ({ a: 2 }))).to.deep.equal({ a: 1 });
    expect(multiGet.callCount).to.equal(0);
    expect(await tagKeys(backend)).to.deep.equal([]);
  });

  describe('invalidateTags argument checks: a TypeError, and nothing changed', function () {
    const bad: [string, unknown][] = [
      ['a string', 'catalog'],
      ['undefined', undefined],
      ['a number in the list', ['catalog', 5]],
      ['an empty tag', ['catalog', '']],
      ['a lone surrogate', ['\ud800']],
    ];
    for (const [what, tags] of bad) {
      it(what, async function () {
        const backend = new MemoryBackend();
        const cache = new Cache({ backend });
        await cache.set('k', 1, { tags: ['catalog'] });
        const before = await tagKeys(backend);
        const tokens = before.map((key) => backend.get(key));
        const calls = sinon.spy(backend, 'multiSet');
        const error = await cache.invalidateTags(tags as string[]).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(TypeError);
        expect(calls.callCount).to.equal(0);
        expect(before.map((key) => backend.get(key))).to.deep.equal(tokens);
        expect(await cache.get('k')).to.equal(1);
      });
    }

    it('a namespace or version option (tags belong to the cache’s namespace)', async function () {
      const cache = new Cache({ namespace: 'app' });
      await cache.set('k', 1, { tags: ['catalog'] });
      for (const options of [{ namespace: 'other' }, { version: 2 }]) {
        const error = await cache.invalidateTags(['catalog'], options).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(TypeError);
      }
      expect(await cache.get('k')).to.equal(1);
    });

    it('bad tags on a write are refused before anything is written', async function () {
      const cache = new Cache();
      for (const tags of ['t', [''], [1], ['\udfff']]) {
        const error = await cache.set('k', 1, { tags: tags as string[] }).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(TypeError);
        const added = await cache.add('k', 1, { tags: tags as string[] }).catch((e: unknown) => e);
        expect(added).to.be.instanceOf(TypeError);
        const factory = sinon.spy(() => 1);
        const computed = await cache
          .getOrSet('k', factory, { tags: tags as string[] })
          .catch((e: unknown) => e);
        expect(computed).to.be.instanceOf(TypeError);
        expect(factory.callCount).to.equal(0);
      }
      expect(await cache.exists('k')).to.equal(false);
    });
  });

  describe('a computation that started before an invalidation and finished after it', function () {
    it('getOrSet: returned to its caller, not served afterwards', async function () {
      const cache = new Cache();
      const gate = latch<string>();
      const first = cache.getOrSet('k', () => gate.promise, { tags: ['t'] });
      // The factory is running (its tags were read before it started) when the tag is invalidated.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await cache.invalidateTags(['t'])).to.equal(1);
      gate.open('old');
      expect(await first).to.equal('old');
      expect(await cache.get('k')).to.equal(undefined);
      expect(await cache.getOrSet('k', () => 'new', { tags: ['t'] })).to.equal('new');
      expect(await cache.get('k')).to.equal('new');
    });

    it('cached() with fixed tags and with a tags function of the result', async function () {
      for (const tags of [['catalog'], (result: string, id: string) => [`product:${id}`, result]]) {
        const cache = new Cache();
        const gate = latch<string>();
        let calls = 0;
        const load = cached(
          async (id: string) => {
            calls++;
            return calls === 1 ? gate.promise : `fresh ${id}`;
          },
          { cache, tags: tags as readonly string[] },
        );
        const first = load('1');
        await new Promise((resolve) => setImmediate(resolve));
        await cache.invalidateTags(['catalog']);
        gate.open('catalog');
        expect(await first).to.equal('catalog');
        expect(await load('1')).to.equal('fresh 1');
        expect(calls).to.equal(2);
        expect(await load('1')).to.equal('fresh 1');
        expect(calls, 'the fresh result is served').to.equal(2);
      }
    });

    it('multiCached() with fixed tags and with a tags function', async function () {
      for (const tags of [['catalog'], () => ['catalog']]) {
        const cache = new Cache();
        const gate = latch<void>();
        let calls = 0;
        const load = multiCached(
          async (ids: string[]) => {
            calls++;
            if (calls === 1) await gate.promise;
            return ids.map((id) => `${id}#${calls}`);
          },
          { cache, tags },
        );
        const first = load(['a', 'b']);
        await new Promise((resolve) => setImmediate(resolve));
        await cache.invalidateTags(['catalog']);
        gate.open();
        expect(await first).to.deep.equal(['a#1', 'b#1']);
        expect(await load(['a', 'b'])).to.deep.equal(['a#2', 'b#2']);
        expect(await load(['a', 'b'])).to.deep.equal(['a#2', 'b#2']);
        expect(calls).to.equal(2);
      }
    });

    it('with a tags function, an invalidation of another tag meanwhile also leaves the result unstored', async function () {
      // The tags are known only once the result is: the namespace's marker stands for them.
      const cache = new Cache();
      const gate = latch<string>();
      const load = cached(async (id: string) => gate.promise.then((v) => `${v} ${id}`), {
        cache,
        tags: (_result, id) => [`product:${id}`],
      });
      const first = load('1');
      await new Promise((resolve) => setImmediate(resolve));
      await cache.invalidateTags(['unrelated']);
      gate.open('v');
      expect(await first).to.equal('v 1');
      expect(await cache.exists(load.keyFor('1'))).to.equal(false);
      expect(await load('1')).to.equal('v 1');
      expect(await cache.exists(load.keyFor('1'))).to.equal(true);
    });
  });

  describe('losing a tag’s bookkeeping key never brings an entry back', function () {
    it('deleting every tag key after an invalidation', async function () {
      const backend = new MemoryBackend();
      const cache = new Cache({ backend, namespace: 'app' });
      await cache.set('k', 1, { tags: ['t'] });
      await cache.invalidateTags(['t']);
      const keys = await tagKeys(backend);
      expect(keys.length).to.be.greaterThan(0);
      for (const key of keys) backend.delete(key);
      expect(await cache.get('k')).to.equal(undefined);
      // A new write recreates the tag with a fresh token: the old entry stays invalid.
      await cache.set('other', 2, { tags: ['t'] });
      expect(await cache.get('k')).to.equal(undefined);
      expect(await cache.get('other')).to.equal(2);
    });

    it('a tag key evicted by an LRU bound makes its entries miss, never serve stale', async function () {
      const backend = new MemoryBackend({ maxSize: 3 });
      const cache = new Cache({ backend });
      await cache.set('k', 1, { tags: ['t'] });
      // Pushes the tag key (and the marker) out of the LRU.
      for (const key of ['x', 'y', 'z']) await cache.set(key, 0);
      expect((await tagKeys(backend)).length).to.equal(0);
      expect(await cache.get('k')).to.equal(undefined);
    });
  });

  it('no client clock decides: a clock ten minutes off either way changes nothing', async function () {
    const cache = new Cache();
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    try {
      await cache.set('k', 1, { tags: ['t'] });
      clock.setSystemTime(Date.now() - 10 * 60_000);
      expect(await cache.get('k')).to.equal(1);
      await cache.invalidateTags(['t']);
      clock.setSystemTime(Date.now() + 20 * 60_000);
      expect(await cache.get('k')).to.equal(undefined);
      await cache.set('k', 2, { tags: ['t'] });
      clock.setSystemTime(Date.now() - 20 * 60_000);
      expect(await cache.get('k')).to.equal(2);
    } finally {
      clock.restore();
    }
  });

  it('tags are per namespace: another namespace’s tag of the same name is another tag', async function () {
    const backend = new MemoryBackend();
    const a = new Cache({ backend, namespace: 'a' });
    const b = new Cache({ backend, namespace: 'b' });
    await a.set('k', 1, { tags: ['t'] });
    await b.set('k', 2, { tags: ['t'] });
    await a.invalidateTags(['t']);
    expect(await a.get('k')).to.equal(undefined);
    expect(await b.get('k')).to.equal(2);
    // A cache over the same namespace shares them.
    await new Cache({ backend, namespace: 'b' }).invalidateTags(['t']);
    expect(await b.get('k')).to.equal(undefined);
  });

  it('a write in another namespace through a per-call option keeps the cache’s tags', async function () {
    const cache = new Cache({ namespace: 'app' });
    await cache.set('k', 1, { namespace: 'other', tags: ['t'] });
    expect(await cache.get('k', { namespace: 'other' })).to.equal(1);
    await cache.invalidateTags(['t']);
    expect(await cache.get('k', { namespace: 'other' })).to.equal(undefined);
  });

  it('staleTtl and staleIfError never serve an invalidated entry', async function () {
    let now = 1_000_000;
    const clock = { now: () => now };
    const cache = new Cache();
    let n = 0;
    const load = cached(async () => `v${++n}`, { cache, ttl: 1_000, staleTtl: 60_000, tags: ['t'], clock });
    expect(await load()).to.equal('v1');
    now += 2_000; // stale: served while one refresh runs
    await cache.invalidateTags(['t']);
    expect(await load()).to.equal('v2');
  });

  it('plugins observe invalidateTags, and the invalidation hook is told once the write is done', async function () {
    const seen: string[] = [];
    const plugin: Plugin = {
      preInvalidateTags: (ctx) => void seen.push(`pre ${String(ctx.keys)}`),
      postInvalidateTags: (ctx) => void seen.push(`post ${String(ctx.result)}`),
    };
    const cache = new Cache({ plugins: [plugin], namespace: 'n' });
    const events: unknown[] = [];
    const stop = cache.onTagsInvalidated((event) => events.push(event));
    await cache.invalidateTags(['a', 'b', 'a']);
    expect(seen).to.deep.equal(['pre a,b,a', 'post 3']);
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ tags: ['a', 'b'] });
    stop();
    await cache.invalidateTags(['a']);
    expect(events).to.have.length(1);
  });

  it('a failing backend: invalidateTags rejects with a BackendError, or answers 0 in safe mode', async function () {
    const failing = (): Backend => {
      const backend = new MemoryBackend();
      sinon.stub(backend, 'multiSet').throws(new Error('down'));
      return backend;
    };
    const error = await new Cache({ backend: failing() }).invalidateTags(['t']).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(BackendError);
    const { logger } = recordingLogger();
    expect(await new Cache({ backend: failing(), safe: true, logger }).invalidateTags(['t'])).to.equal(0);
  });

  it('a failure reading a tagged entry’s tags is get’s BackendError, or a miss in safe mode', async function () {
    for (const safe of [false, true]) {
      const backend = new MemoryBackend();
      const cache = new Cache({ backend, namespace: 'n', safe, logger: recordingLogger().logger });
      await cache.set('k', 1, { tags: ['t'] });
      const read = sinon.stub(backend, 'peek').callsFake(function (this: MemoryBackend, handle) {
        if (handle.key.includes('tag:')) throw new Error('down');
        return read.wrappedMethod.call(this, handle);
      });
      const answer = await cache.get('k').catch((e: unknown) => e);
      if (safe) expect(answer).to.equal(undefined);
      else expect(answer).to.be.instanceOf(BackendError);
    }
  });

  it('cached() fails open when its tags cannot be read: the function answers, uncached', async function () {
    const backend = new MemoryBackend();
    const { logger, records } = recordingLogger();
    const cache = new Cache({ backend, logger });
    sinon.stub(backend, 'multiGet').throws(new Error('down'));
    let n = 0;
    const load = cached(async () => ++n, { cache, tags: ['t'] });
    expect(await load()).to.equal(1);
    expect(await load()).to.equal(2);
    // pino's level 40 is warn.
    expect(records.some((record) => record.level === 40 && /tags/.test(String(record.msg)))).to.equal(true);
  });

  it('cached() and multiCached() refuse bad tags options when wrapping', function () {
    for (const tags of ['t', [''], [3], 5]) {
      expect(() => cached(async () => 1, { tags: tags as string[] })).to.throw(TypeError);
      expect(() => multiCached(async (ids: string[]) => ids, { tags: tags as string[] })).to.throw(TypeError);
    }
  });

  it('a tags function that answers something other than strings is the caller’s TypeError', async function () {
    const cache = new Cache();
    const load = cached(async (id: string) => id, { cache, tags: () => [''] });
    const error = await load('1').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TypeError);
  });

  it('matches a model over any sequence of tagged writes, invalidations and reads', async function () {
    const tagNames = ['a', 'b', 'c'];
    const keyNames = ['k1', 'k2', 'k3'];
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        key: fc.constantFrom(...keyNames),
        tags: fc.subarray(tagNames),
      }),
      fc.record({ kind: fc.constant('invalidate' as const), tags: fc.subarray(tagNames) }),
      fc.record({ kind: fc.constant('lose' as const), tag: fc.constantFrom(...tagNames) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const backend = new MemoryBackend();
        const cache = new Cache({ backend, namespace: 'm' });
        const model = new Map<string, { value: number; tags: string[]; valid: boolean }>();
        let n = 0;
        for (const step of ops) {
          if (step.kind === 'set') {
            await cache.set(step.key, ++n, { tags: step.tags });
            model.set(step.key, { value: n, tags: step.tags, valid: true });
          } else if (step.kind === 'invalidate') {
            await cache.invalidateTags(step.tags);
            for (const entry of model.values())
              if (entry.tags.some((tag) => step.tags.includes(tag))) entry.valid = false;
          } else {
            // The tag's key lost: its entries miss (and stay missing), never resurrected.
            const lost = (await tagKeys(backend)).filter((key) => key.endsWith(`}:${step.tag}`));
            for (const key of lost) backend.delete(key);
            for (const entry of model.values()) if (entry.tags.includes(step.tag)) entry.valid = false;
          }
          const expected = keyNames.map((key) => {
            const entry = model.get(key);
            return entry?.valid ? entry.value : undefined;
          });
          expect(await cache.multiGet(keyNames)).to.deep.equal(expected);
          for (const [i, key] of keyNames.entries()) expect(await cache.get(key)).to.equal(expected[i]);
        }
      }),
      { numRuns: 60 },
    );
  });
});

// Compile-time checks of the tags options' types (this file is type-checked by tsc --noEmit).
export function typeChecks(cache: Cache): void {
  const load = async (id: string): Promise<{ name: string }> => ({ name: id });
  cached(load, { cache, tags: (product, id) => [product.name, `product:${id}`] });
  cached(load, { cache, tags: ['catalog'] });
  // @ts-expect-error the tags function gets the result first, then the arguments
  cached(load, { cache, tags: (id: number) => [String(id)] });
  // @ts-expect-error tags are strings
  cached(load, { cache, tags: [1] });
  multiCached(async (ids: string[]) => ids, { cache, tags: (value, id) => [String(value), String(id)] });
  // @ts-expect-error invalidateTags takes an array
  void cache.invalidateTags('catalog');
  void cache.set('k', 1, { tags: ['a'] });
}

describe('larder tags invalidate', function () {
  it('invalidates the tags of the alias’ namespace and says how many', async function () {
    const { runCli } = await import('../../lib/cli/run.js');
    const { memoryIO } = await import('../support/cli.js');
    const terminal = memoryIO({ tty: false, answer: undefined });
    expect(
      await runCli(['tags', 'invalidate', '--url', 'memory://?namespace=n', 'a', 'b'], terminal.io),
    ).to.equal(0);
    expect(terminal.out()).to.equal('invalidated 2 tags\n');
    const json = memoryIO({ tty: false, answer: undefined });
    expect(await runCli(['tags', 'invalidate', '--json', '--url', 'memory://', 'a'], json.io)).to.equal(0);
    expect(JSON.parse(json.out())).to.deep.equal({ alias: 'url', tags: ['a'], invalidated: 1 });
    const missing = memoryIO({ tty: false, answer: undefined });
    expect(await runCli(['tags', 'invalidate', '--url', 'memory://'], missing.io)).to.equal(2);
    expect(missing.err()).to.contain('tags invalidate takes <alias> <tag…>');
    const unknown = memoryIO({ tty: false, answer: undefined });
    expect(await runCli(['tags', 'invalid', '--url', 'memory://', 'a'], unknown.io)).to.equal(2);
    expect(unknown.err()).to.contain('did you mean "tags invalidate"');
  });
});
