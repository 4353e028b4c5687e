import keyvTestSuite, { keyvIteratorTests, keyvNamespaceTest } from '@keyv/test-suite';
import Keyv from 'keyv';
import * as vitest from 'vitest';
import { Cache, MemoryBackend, RedisBackend, StringSerializer } from '../../lib/index.js';
import { KeyvLarder, type KeyvLarderFormat } from '../../lib/keyv/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisCluster, RedisServer } from '../support/redis-server.js';

// keyv's official suite, through its own runner, over KeyvLarder on the memory backend and on a
// real redis-server (a server of this file's own, on a free port). The suite makes a fresh
// Keyv over `store()` in each test; every store here is a fresh adapter over one cache.
const { afterAll, beforeAll, describe } = vitest;

let server: RedisServer;
let cluster: RedisCluster;
const caches: Cache[] = [];

beforeAll(async () => {
  [server, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start(3)]);
});
afterAll(async () => {
  await Promise.all(caches.map((cache) => cache.close()));
  await Promise.all([server?.stop(), cluster?.stop()]);
});

const memory = (): Cache => remember(new Cache({ backend: new MemoryBackend() }));
const redis = (options: { serializer?: StringSerializer; namespace: string; cluster?: boolean }): Cache => {
  const { cluster: onCluster = false, ...cacheOptions } = options;
  const url = onCluster ? cluster.url : `${server.url}/0`;
  return remember(
    new Cache({ backend: new RedisBackend({ url, logger: recordingLogger().logger }), ...cacheOptions }),
  );
};

function remember(cache: Cache): Cache {
  caches.push(cache);
  return cache;
}

// Built lazily: the Redis server is started by beforeAll, after the suites are defined.
function storeOver(make: () => Cache, format: KeyvLarderFormat): () => KeyvLarder {
  let cache: Cache | undefined;
  return () => new KeyvLarder((cache ??= make()), { format });
}

for (const [name, make] of [
  ['memory', memory],
  ['Redis (JSON serializer, the default)', () => redis({ namespace: 'keyv-json' })],
  ['a Redis Cluster of 3 masters', () => redis({ namespace: 'keyv-cluster', cluster: true })],
  [
    'Redis (string serializer: the bytes are Keyv’s own)',
    () => redis({ namespace: 'keyv-string', serializer: new StringSerializer() }),
  ],
] as const) {
  describe(`keyv's test suite over KeyvLarder on ${name}`, () => {
    const store = storeOver(make, 'keyv');
    keyvTestSuite(vitest, Keyv, store);
    keyvIteratorTests(vitest, Keyv, store);
  });
}

// The 'larder' format stores the value itself, in larder's serializer and under larder's ttl,
// for a Keyv whose own serializer is off. The suite's parts that do not depend on Keyv's
// serializer or on Keyv's clock run over it: the namespaces and the iterator.
for (const [name, make] of [
  ['memory', memory],
  ['Redis', () => redis({ namespace: 'keyv-larder' })],
] as const) {
  describe(`keyv's namespace and iterator tests over KeyvLarder in the 'larder' format on ${name}`, () => {
    const store = storeOver(make, 'larder');
    const Unserialized = class extends Keyv {
      constructor(options?: ConstructorParameters<typeof Keyv>[0]) {
        super({ ...(options as object), serialize: undefined, deserialize: undefined });
      }
    } as unknown as typeof Keyv;
    keyvNamespaceTest(vitest, Unserialized, store);
    keyvIteratorTests(vitest, Unserialized, store);
  });
}
