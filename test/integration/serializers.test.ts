import { expect } from 'chai';
import { Redis } from 'ioredis';
import {
  Cache,
  JsonSerializer,
  MemoryBackend,
  MsgpackSerializer,
  RedisBackend,
  SerializationError,
  StringSerializer,
  StructuredCloneSerializer,
  type Backend,
  type BaseSerializer,
  type SerializerOptions,
} from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { sharedRedis } from '../support/redis-fixtures.js';

const SECRET = 'integration-secret-0123456789abcdef';

const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;

/** Each serializer with a value in its domain. */
const SERIALIZERS: [string, (options: SerializerOptions) => BaseSerializer, unknown][] = [
  ['json', (o) => new JsonSerializer(o), { id: 1, tags: ['a', 'b'], nested: { ok: true, none: null } }],
  ['string', (o) => new StringSerializer(o), 'plain text, ünïcode and all'],
  [
    'msgpack',
    (o) => new MsgpackSerializer(o),
    {
      at: new Date(0),
      seen: new Set(['a']),
      byId: new Map([[1, 2n ** 80n]]),
      raw: new Uint8Array([0, 255]),
      buf: Buffer.from('b'),
    },
  ],
  [
    'structured-clone',
    (o) => new StructuredCloneSerializer(o),
    {
      at: new Date(0),
      re: /x+/g,
      big: 10n,
      cyclic,
      typed: new Float64Array([1.5]),
      error: new Error('kept'),
    },
  ],
];

const OPTIONS: [string, SerializerOptions][] = [
  ['plain', {}],
  ['brotli', { compress: 'brotli', compressThreshold: 0 }],
  ['signed + gzip', { secret: SECRET, compress: 'gzip', compressThreshold: 0 }],
];

/** A store under test, with a way to read and overwrite the raw stored payload of a key. */
interface Store {
  backend: () => Promise<Backend>;
  readRaw: (key: string) => Promise<Uint8Array | string | undefined>;
  writeRaw: (key: string, payload: Uint8Array | string) => Promise<void>;
  close: () => Promise<void>;
}

function memoryStore(): Store {
  const backend = new MemoryBackend();
  return {
    backend: async () => backend,
    readRaw: async (key) => backend.get(key) as Uint8Array | string | undefined,
    writeRaw: async (key, payload) => backend.set(key, payload, 0),
    close: async () => undefined,
  };
}

async function redisStore(): Promise<Store> {
  const server = await sharedRedis();
  const admin = new Redis({ port: server.port, db: 9 });
  await admin.flushdb();
  return {
    backend: async () => new RedisBackend({ url: `${server.url}/9` }),
    readRaw: async (key) => (await admin.getBuffer(key)) ?? undefined,
    writeRaw: async (key, payload) =>
      void (await admin.set(key, typeof payload === 'string' ? payload : Buffer.from(payload))),
    close: async () => admin.disconnect(),
  };
}

for (const [storeName, makeStore] of [
  ['memory', async () => memoryStore()],
  ['Redis', redisStore],
] as [string, () => Promise<Store>][]) {
  describe(`serializers through the ${storeName} backend`, function () {
    this.timeout(20_000);
    let store: Store;
    const caches: Cache[] = [];

    beforeEach(async function () {
      store = await makeStore();
    });

    afterEach(async function () {
      await Promise.all(caches.splice(0).map((cache) => cache.close()));
      await store.close();
    });

    const cacheWith = async (
      serializer: BaseSerializer,
      extra: { safe?: boolean } = {},
    ): Promise<Cache & { records: Record<string, unknown>[] }> => {
      const { logger, records } = recordingLogger();
      const cache = new Cache({ backend: await store.backend(), serializer, logger, ...extra });
      caches.push(cache);
      return Object.assign(cache, { records });
    };

    for (const [name, make, sample] of SERIALIZERS) {
      for (const [label, options] of OPTIONS) {
        it(`${name} (${label}) round-trips through set/get, multiSet/multiGet and getOrSet`, async function () {
          const cache = await cacheWith(make(options));
          await cache.set('one', sample);
          expect(await cache.get('one')).to.deep.equal(sample);
          await cache.multiSet(
            [
              ['a', sample],
              ['b', sample],
            ],
            { ttl: '1m' },
          );
          expect(await cache.multiGet(['a', 'b', 'none'])).to.deep.equal([sample, sample, undefined]);
          expect(await cache.getOrSet('lazy', () => sample)).to.deep.equal(sample);
          expect(await cache.getOrSet('lazy', () => 'not called')).to.deep.equal(sample);
          // The store holds exactly the serializer's payload: binary byte for byte, text as text.
          const stored = await store.readRaw('one');
          const expected = make(options).dumps(sample);
          if (typeof expected === 'string') {
            expect(Buffer.from(stored as string | Uint8Array).toString()).to.equal(expected);
          } else {
            expect(stored).to.be.instanceOf(Uint8Array);
            expect(Buffer.from(stored as Uint8Array).equals(Buffer.from(expected))).to.equal(true);
          }
        });
      }

      it(`${name}: a tampered signed payload is refused and logged, or a logged miss in safe mode`, async function () {
        const serializer = make({ secret: SECRET });
        const strict = await cacheWith(serializer);
        await strict.set('k', sample);
        const stored = Uint8Array.from((await store.readRaw('k')) as Uint8Array);
        stored[stored.length - 1]! ^= 0x01;
        await store.writeRaw('k', stored);
        const error = await strict.get('k').catch((e: unknown) => e);
        expect(error).to.be.instanceOf(SerializationError);
        expect(error).to.include({ key: 'k', serializer: name });
        expect(strict.records.some((r) => r.level === 40 && r.key === 'k')).to.equal(true);

        const safe = await cacheWith(make({ secret: SECRET }), { safe: true });
        expect(await safe.get('k')).to.equal(undefined);
        expect(await safe.multiGet(['k'])).to.deep.equal([undefined]);
        expect(safe.records.filter((r) => r.level === 40)).to.have.length(2);
      });

      it(`${name}: an unsigned payload is never deserialized by a cache with a secret`, async function () {
        const unsigned = await cacheWith(make({}));
        await unsigned.set('k', sample);
        const signed = await cacheWith(make({ secret: SECRET }));
        expect(await signed.get('k').catch((e: unknown) => e)).to.be.instanceOf(SerializationError);
      });
    }

    it('refuses increment with a serializer that does not store integers as text, writing nothing', async function () {
      for (const serializer of [
        new MsgpackSerializer(),
        new StructuredCloneSerializer(),
        new JsonSerializer({ secret: SECRET }),
      ]) {
        const cache = await cacheWith(serializer);
        expect(await cache.increment('counter').catch((e: unknown) => e)).to.be.instanceOf(TypeError);
        expect(await store.readRaw('counter')).to.equal(undefined);
      }
      const text = await cacheWith(new JsonSerializer());
      expect(await text.increment('counter', 5)).to.equal(5);
      expect(await text.get('counter')).to.equal(5);
    });

    it('refuses a value its serializer cannot encode, naming the key, and writes nothing', async function () {
      for (const [, make] of SERIALIZERS) {
        const cache = await cacheWith(make({}));
        const error = await cache.set('bad', () => 'a function').catch((e: unknown) => e);
        expect(error).to.be.instanceOf(SerializationError).with.property('key', 'bad');
        expect(await store.readRaw('bad')).to.equal(undefined);
      }
    });
  });
}
