// The Redis subjects: raw ioredis (plain and auto-pipelined) as the floor, larder, and the peers,
// each set up the way its README shows but with Redis as the only tier, so every `get` is a real
// round trip (a memory tier in front would measure memory, not Redis). Each subject keeps its keys
// under a prefix of its own, because each stores values in a format of its own.
import { decode, encode } from '@msgpack/msgpack';
import KeyvRedis, { createKeyv } from '@keyv/redis';
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Cacheable } from 'cacheable';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { Cache, MsgpackSerializer, RedisBackend } from '../dist/index.js';
import type { Subject } from './subject.js';

export interface RedisSubjects {
  /** Subjects storing JSON text: GET/SET + JSON and MGET is the work they are compared on. */
  readonly json: Subject[];
  /** Subjects storing msgpack bytes, against raw ioredis + @msgpack/msgpack. */
  readonly msgpack: Subject[];
  close(): Promise<void>;
}

export function redisSubjects(url: string, port: number): RedisSubjects {
  const plain = new Redis({ port });
  const piped = new Redis({ port, enableAutoPipelining: true });
  const larderOff = new Cache({ backend: new RedisBackend({ url, autoPipelining: false }), namespace: 'l' });
  const larder = new Cache({ backend: new RedisBackend({ url }), namespace: 'l' });
  const larderPack = new Cache({
    backend: new RedisBackend({ url }),
    serializer: new MsgpackSerializer(),
    namespace: 'mp',
  });
  // cache-manager 7's README: a Keyv over @keyv/redis as its store.
  const cacheManager = createCache({
    stores: [new Keyv({ store: new KeyvRedis(url), namespace: 'cache-manager' })],
  });
  // @keyv/redis' README: `createKeyv(url)`.
  const keyv = createKeyv(url, { namespace: 'keyv' });
  // cacheable's README takes any Keyv as a store; here Redis is its primary and only one.
  const cacheable = new Cacheable({ primary: createKeyv(url, { namespace: 'cacheable' }) });
  // bentocache's README: a one-level store with the redis driver as its L2 layer.
  const bento = new BentoCache({
    default: 'redis',
    stores: { redis: bentostore().useL2Layer(redisDriver({ connection: { host: '127.0.0.1', port } })) },
  });

  const json: Subject[] = [
    rawJson('ioredis', plain),
    rawJson('ioredis auto-pipelined', piped),
    larderSubject('larder (autoPipelining off)', larderOff),
    larderSubject('larder (default)', larder),
    {
      name: 'cache-manager',
      kind: 'peer',
      get: (key) => cacheManager.get(key),
      set: (key, value) => cacheManager.set(key, value),
      getMany: (keys) => cacheManager.mget([...keys]),
    },
    {
      name: 'keyv',
      kind: 'peer',
      get: (key) => keyv.get(key),
      set: (key, value) => keyv.set(key, value),
      getMany: (keys) => keyv.getMany([...keys]),
    },
    {
      name: 'cacheable',
      kind: 'peer',
      get: (key) => cacheable.get(key),
      set: (key, value) => cacheable.set(key, value),
      getMany: (keys) => cacheable.getMany([...keys]),
    },
    {
      // bentocache has no batch read: its users read many keys with concurrent gets.
      name: 'bentocache',
      kind: 'peer',
      get: (key) => bento.get({ key }),
      set: (key, value) => bento.set({ key, value }),
      getMany: (keys) => Promise.all(keys.map((key) => bento.get({ key }))),
    },
  ];
  const msgpack: Subject[] = [
    rawMsgpack('ioredis + msgpack', plain),
    rawMsgpack('ioredis auto-pipelined + msgpack', piped),
    larderSubject('larder msgpack', larderPack),
  ];
  return {
    json,
    msgpack,
    close: async () => {
      plain.disconnect();
      piped.disconnect();
      await Promise.all([
        larderOff.close(),
        larder.close(),
        larderPack.close(),
        cacheManager.disconnect(),
        keyv.disconnect(),
        cacheable.disconnect(),
        bento.disconnect(),
      ]);
    },
  };
}

/** Raw ioredis doing what a JSON cache does: GET + JSON.parse, SET of JSON.stringify, MGET. */
function rawJson(name: string, client: Redis): Subject {
  const prefix = 'raw:';
  return {
    name,
    kind: 'raw',
    reference: true,
    get: async (key) => parse(await client.get(prefix + key)),
    set: (key, value) => client.set(prefix + key, JSON.stringify(value)),
    getMany: async (keys) => (await client.mget(keys.map((key) => prefix + key))).map(parse),
  };
}

/** Raw ioredis doing what a msgpack cache does, with @msgpack/msgpack's plain encode/decode. */
function rawMsgpack(name: string, client: Redis): Subject {
  const prefix = 'rawmp:';
  const unpack = (bytes: Buffer | null): unknown => (bytes === null ? undefined : decode(bytes));
  return {
    name,
    kind: 'raw',
    reference: true,
    get: async (key) => unpack(await client.getBuffer(prefix + key)),
    set: (key, value) => {
      const bytes = encode(value);
      return client.set(prefix + key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    getMany: async (keys) => (await client.mgetBuffer(keys.map((key) => prefix + key))).map(unpack),
  };
}

function larderSubject(name: string, cache: Cache): Subject {
  return {
    name,
    kind: 'larder',
    get: (key) => cache.get(key),
    set: (key, value) => cache.set(key, value),
    getMany: (keys) => cache.multiGet(keys),
  };
}

function parse(text: string | null): unknown {
  return text === null ? undefined : (JSON.parse(text) as unknown);
}
