// What the L1 buys and costs (docs/tiers.md): a get hit from the L1 against a memory backend's
// get hit, lru-cache and a Redis get, and bentocache's tiered get configured as its docs recommend
// (memory L1, Redis L2, Redis bus); then the invalidation latency (write acknowledged → the other
// cache no longer serves the key) and the commands each write costs.
// Calibrated, interleaved rounds through the benchmark's harness; larder from dist/, as users run it.
//   npm run bench:tiers            (add --quick for a short run, --smoke for a tiny one)
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Cache, MemoryBackend, RedisBackend } from '../dist/index.js';
import { RedisServer } from '../test/support/redis-server.js';
import { formatRatio, measure, planFromArgs, toMarkdown, type Cell } from './harness.js';
import { valueFor } from './subject.js';

const plan = planFromArgs(process.argv);
const smoke = process.argv.includes('--smoke');
// Few enough keys that every subject holds them all: this measures hits.
const KEYS = Array.from({ length: 1_000 }, (_, i) => `user:${i}`);

const server = await RedisServer.start();
const admin = new Redis({ port: server.port, host: '127.0.0.1' });
const lru = new LRUCache<string, object>({ max: 10_000 });
const memory = new Cache({ backend: new MemoryBackend({ maxSize: 10_000 }), namespace: 'app' });
const redisOnly = new Cache({ backend: new RedisBackend({ url: server.url }), namespace: 'r' });
const tiered = new Cache({ backend: new RedisBackend({ url: server.url }), namespace: 't', l1: 10_000 });
const reader = new Cache({ backend: new RedisBackend({ url: server.url }), namespace: 't', l1: 10_000 });
// Tagged entries in an L1 (docs/tags.md), two tags each as in the memory benchmark's tagged row
// (one of 100 groups, and one shared by all): the L1 holds the entries and the tags' tokens.
const tagged = new Cache({ backend: new RedisBackend({ url: server.url }), namespace: 'tg', l1: 10_000 });
const tagsOf = (key: string): string[] => [`item:${Number(key.slice(5)) % 100}`, 'catalog'];
const bento = new BentoCache({
  default: 'tiered',
  stores: {
    tiered: bentostore()
      .useL1Layer(memoryDriver({ maxSize: '10mb' }))
      .useL2Layer(redisDriver({ connection: { host: '127.0.0.1', port: server.port } }))
      .useBus(redisBusDriver({ connection: { host: '127.0.0.1', port: server.port } })),
  },
});

function gets(get: (key: string) => unknown): Cell['run'] {
  return async (ops) => {
    for (let i = 0; i < ops; i++) await get(KEYS[i % KEYS.length]!);
  };
}

try {
  while (tiered.coherence !== 'live' || reader.coherence !== 'live' || tagged.coherence !== 'live')
    await sleep(10);
  for (const key of KEYS) {
    const value = valueFor(key);
    lru.set(key, value);
    await memory.set(key, value);
    await redisOnly.set(key, value);
    await tiered.set(key, value);
    await bento.set({ key, value });
    await tagged.set(key, value, { tags: tagsOf(key) });
  }
  // Filled from Redis once, as a process would be after its first reads.
  for (const key of KEYS) await tiered.get(key);
  for (const key of KEYS) while (tagged.peek(key) === undefined) await tagged.get(key);
  for (const key of KEYS) await bento.get({ key });
  const workload = 'get hit (sequential await)';
  const cells: Cell[] = [
    { workload, subject: 'lru-cache + await', kind: 'raw', run: gets((key) => lru.get(key)) },
    {
      workload,
      subject: 'larder, memory backend',
      kind: 'larder',
      reference: true,
      run: gets((key) => memory.get(key)),
    },
    { workload, subject: 'larder, L1 over Redis', kind: 'larder', run: gets((key) => tiered.get(key)) },
    {
      workload,
      subject: 'larder, L1 over Redis, tagged (2 tags)',
      kind: 'larder',
      versus: 'larder, L1 over Redis',
      run: gets((key) => tagged.get(key)),
    },
    {
      workload,
      subject: 'bentocache, L1 + Redis + bus',
      kind: 'peer',
      run: gets((key) => bento.get({ key })),
    },
    { workload, subject: 'larder, Redis only', kind: 'larder', run: gets((key) => redisOnly.get(key)) },
  ];
  const results = await measure(cells, plan);
  process.stdout.write(`${toMarkdown(results)}\n`);
  const l1 = results.find((result) => result.subject === 'larder, L1 over Redis')!;
  const remote = results.find((result) => result.subject === 'larder, Redis only')!;
  const l1Tagged = results.find((result) => result.subject === 'larder, L1 over Redis, tagged (2 tags)')!;
  process.stdout.write(
    `L1 get hit: ${formatRatio(1 / l1.ratio)} the cost of a memory-backend get hit; ` +
      `${formatRatio(l1.opsPerSecond / remote.opsPerSecond)} faster than a Redis get. ` +
      `A tagged L1 hit: ${formatRatio(l1Tagged.versus!.ratio)} the speed of an untagged one (paired).\n\n`,
  );

  // Invalidation latency: A's set resolved → B's L1 no longer serves the key (B polls its L1).
  const samples = smoke ? 20 : 500;
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const key = KEYS[i % KEYS.length]!;
    while (reader.peek(key) === undefined) {
      await reader.get(key);
      if (reader.peek(key) === undefined) await sleep(1);
    }
    await tiered.set(key, valueFor(key));
    const acknowledged = performance.now();
    while (reader.peek(key) !== undefined) await new Promise((resolve) => setImmediate(resolve));
    latencies.push(performance.now() - acknowledged);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): string =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2);
  process.stdout.write(
    `Invalidation latency over ${samples} writes (set acknowledged → the other cache's L1 misses, ` +
      `two caches with their own connections in one process, loopback): p50 ${at(0.5)} ms, p99 ${at(0.99)} ms\n\n`,
  );

  // Tag invalidation latency: A's invalidateTags resolved → B's L1 no longer serves the entry.
  const tagReader = new Cache({
    backend: new RedisBackend({ url: server.url }),
    namespace: 'tg',
    l1: 10_000,
  });
  const tagLatencies: number[] = [];
  try {
    while (tagReader.coherence !== 'live') await sleep(10);
    for (let i = 0; i < samples; i++) {
      const key = KEYS[i % KEYS.length]!;
      await tagged.set(key, valueFor(key), { tags: tagsOf(key) });
      while (tagReader.peek(key) === undefined) {
        await tagReader.get(key);
        if (tagReader.peek(key) === undefined) await sleep(1);
      }
      await tagged.invalidateTags([tagsOf(key)[0]!]);
      const acknowledged = performance.now();
      while (tagReader.peek(key) !== undefined) await new Promise((resolve) => setImmediate(resolve));
      tagLatencies.push(performance.now() - acknowledged);
    }
  } finally {
    await tagReader.close();
  }
  tagLatencies.sort((a, b) => a - b);
  const tagAt = (q: number): string =>
    tagLatencies[Math.min(tagLatencies.length - 1, Math.floor(q * tagLatencies.length))]!.toFixed(2);
  process.stdout.write(
    `Tag invalidation latency over ${samples} invalidations (invalidateTags acknowledged → the other cache's ` +
      `L1 misses the tagged entry): p50 ${tagAt(0.5)} ms, p99 ${tagAt(0.99)} ms\n\n`,
  );

  // Commands per write: one PUBLISH per acknowledged write in bus mode.
  const writesBefore = await commandCalls();
  const writes = smoke ? 20 : 1_000;
  for (let i = 0; i < writes; i++) await tiered.set(KEYS[i % KEYS.length]!, valueFor(KEYS[0]!));
  const writesAfter = await commandCalls();
  const delta = (name: string): number => (writesAfter.get(name) ?? 0) - (writesBefore.get(name) ?? 0);
  process.stdout.write(
    `Commands per set with an L1 (bus): SET ${(delta('set') / writes).toFixed(2)}, PUBLISH ${(delta('publish') / writes).toFixed(2)}\n`,
  );
} finally {
  admin.disconnect();
  await Promise.all([
    memory.close(),
    redisOnly.close(),
    tiered.close(),
    reader.close(),
    tagged.close(),
    bento.disconnect(),
  ]);
  await server.stop();
}

async function commandCalls(): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
