// "As applications call it": larder the way applications use it, not the way a benchmark would.
// Every larder entry has a ttl (the cache's `ttl: '1h'`, and `{ ttl }` passed on every write), the
// namespaced rows use `namespace: 'bench'`, stores hold 1k, 100k and 1M entries, and the
// read-through calls (`getOrSet`, `cached()`) are set beside their peers' equivalents: lru-cache
// `fetch()` with a fetchMethod, cache-manager `wrap`, bentocache `getOrSet`, and on Redis a GET
// (and on a miss a SET) written by hand over raw ioredis.
//
// The group is measured in stages, each built, measured and closed before the next is built, so
// that the 1M-entry stores never share the heap with another size's. Every row reads back its own
// value (and its ttl, where the library exposes one) before anything is timed.
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { KeyvCacheableMemory } from 'cacheable';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import { Cache, MemoryBackend, RedisBackend, cached } from '../dist/index.js';
import type { Cell } from './harness.js';
import { valueFor, type SubjectKind } from './subject.js';

/** The ttl of every entry, as applications write it, and in milliseconds for lru-cache and Redis. */
const TTL = '1h';
const TTL_MS = 3_600_000;
const NAMESPACE = 'bench';

/** Cells measured together, then closed before the next stage is built. */
export interface Stage {
  readonly name: string;
  build(): Promise<{ cells: Cell[]; close: () => Promise<void> }>;
}

/** One row of a workload: the operation timed on `keys[index]`, and how to check it first. */
interface Row {
  readonly subject: string;
  readonly kind: SubjectKind;
  readonly reference?: boolean;
  /** The row's second ratio is to this subject (see Cell.versus). */
  readonly versus?: string;
  op(key: string, index: number): unknown;
  /** Reads the key back after `op` (for writes); reads default to `op`'s own answer. */
  readBack?(key: string): unknown;
  /** The entry's remaining ttl in ms, where the library exposes it: checked to be set. */
  ttlOf?(key: string): Promise<number | undefined> | number | undefined;
  /** A read-through hit: checked not to call its loader. */
  readonly hit?: boolean;
}

/** Key counts: 1k, 100k and 1M (100, 1k and 2k under --smoke), and the read-through rows' count. */
export function appSizes(smoke: boolean): { gets: number[]; readThrough: number; redis: number } {
  return smoke
    ? { gets: [100, 1_000, 2_000], readThrough: 1_000, redis: 1_000 }
    : { gets: [1_000, 100_000, 1_000_000], readThrough: 100_000, redis: 10_000 };
}

/** `1k keys`, `100k keys`, `1M keys`, `100 keys`: a workload's size, as its name gives it. */
export function keysLabel(count: number): string {
  if (count >= 1e6 && count % 1e6 === 0) return `${count / 1e6}M keys`;
  if (count >= 1e3 && count % 1e3 === 0) return `${count / 1e3}k keys`;
  return `${count} keys`;
}

function keysOf(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `user:${i}`);
}

// The loader behind every read-through row: counted, so that a hit that loads fails its check.
let loads = 0;
function load(key: string): object {
  loads++;
  return valueFor(key);
}

/**
 * Awaits `op` on the keys in turn, one in flight, as in a request handler. The walk goes on where
 * the previous round stopped, so that over a run every key of a 1M-key store is read.
 */
function walk(op: Row['op'], keys: readonly string[]): Cell['run'] {
  let cursor = 0;
  return async (ops) => {
    let index = cursor;
    for (let n = 0; n < ops; n++) {
      await op(keys[index]!, index);
      index = index + 1 === keys.length ? 0 : index + 1;
    }
    cursor = index;
  };
}

/** As `walk`, recording each operation's latency in milliseconds. */
function timedWalk(op: Row['op'], keys: readonly string[]): Cell['run'] {
  let cursor = 0;
  return async (ops) => {
    const latencies: number[] = [];
    for (let n = 0; n < ops; n++) {
      const started = performance.now();
      await op(keys[cursor]!, cursor);
      latencies.push(performance.now() - started);
      cursor = cursor + 1 === keys.length ? 0 : cursor + 1;
    }
    return latencies;
  };
}

/** 64 callers, each awaiting its own operations one after another, until `ops` are done. */
function concurrent(op: Row['op'], keys: readonly string[]): Cell['run'] {
  let cursor = 0;
  return async (ops) => {
    let done = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (done++ < ops) {
          const index = cursor;
          cursor = cursor + 1 === keys.length ? 0 : cursor + 1;
          await op(keys[index]!, index);
        }
      }),
    );
  };
}

/** Runs `op` on every key once, 64 at a time: a read-through row's misses fill its store. */
async function fillThrough(op: Row['op'], keys: readonly string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < keys.length) {
        const index = next++;
        await op(keys[index]!, index);
      }
    }),
  );
}

const normalise = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null)) as unknown;

/**
 * Checks each row on the first, a middle and the last key: it answers (or reads back) that key's
 * own value, its entry has a ttl of at most an hour, and a read-through hit does not load.
 */
async function verify(workload: string, rows: readonly Row[], keys: readonly string[]): Promise<void> {
  for (const row of rows) {
    for (const index of new Set([0, keys.length >> 1, keys.length - 1])) {
      const key = keys[index]!;
      const where = `${workload} / ${row.subject} / ${key}`;
      const before = loads;
      const answer = await row.op(key, index);
      const read = row.readBack === undefined ? answer : await row.readBack(key);
      deepStrictEqual(normalise(read), normalise(valueFor(key)), `${where}: reads back its own value`);
      if (row.hit === true) equal(loads, before, `${where}: a hit calls no loader`);
      if (row.ttlOf !== undefined) {
        const ttl = await row.ttlOf(key);
        // lru-cache reads a clock it refreshes every millisecond or so, hence the second's margin.
        ok(ttl !== undefined && ttl > 0 && ttl <= TTL_MS + 1_000, `${where}: a ttl of about 1h (${ttl})`);
      }
    }
  }
}

async function cellsOf(
  workload: string,
  rows: readonly Row[],
  keys: readonly string[],
  run: (op: Row['op'], keys: readonly string[]) => Cell['run'] = walk,
): Promise<Cell[]> {
  await verify(workload, rows, keys);
  return rows.map((row) => ({
    workload,
    subject: row.subject,
    kind: row.kind,
    reference: row.reference === true,
    ...(row.versus === undefined ? {} : { versus: row.versus }),
    run: run(row.op, keys),
  }));
}

const LARDER = 'larder';
const IN_NAMESPACE = `namespace "${NAMESPACE}"`;
const SPACED = `${LARDER}, ${IN_NAMESPACE}`;

/** get (hit) and set with `{ ttl }`, at one size: lru-cache with ttls, larder plain and namespaced. */
function sizedStage(count: number): Stage {
  const size = keysLabel(count);
  return {
    name: `memory, ${size}`,
    build: async () => {
      const keys = keysOf(count);
      const values = keys.map(valueFor);
      const lru = new LRUCache<string, object>({ max: count, ttl: TTL_MS });
      const plain = new Cache({ backend: new MemoryBackend({ maxSize: count }), ttl: TTL });
      const spaced = new Cache({
        backend: new MemoryBackend({ maxSize: count }),
        ttl: TTL,
        namespace: NAMESPACE,
      });
      for (const [i, key] of keys.entries()) {
        lru.set(key, values[i]!, { ttl: TTL_MS });
        await plain.set(key, values[i]!, { ttl: TTL });
        await spaced.set(key, values[i]!, { ttl: TTL });
      }
      const lruTtl = (key: string): number => lru.getRemainingTTL(key);
      const cells = [
        ...(await cellsOf(
          `app: memory get (hit), ttl'd, ${size}`,
          [
            { subject: 'lru-cache', kind: 'raw', reference: true, op: (k) => lru.get(k), ttlOf: lruTtl },
            { subject: LARDER, kind: 'larder', op: (k) => plain.get(k), ttlOf: (k) => plain.ttl(k) },
            {
              subject: SPACED,
              kind: 'larder',
              versus: LARDER,
              op: (k) => spaced.get(k),
              ttlOf: (k) => spaced.ttl(k),
            },
            {
              subject: 'larder, get(key, { default: null })',
              kind: 'larder',
              versus: LARDER,
              op: (k) => plain.get(k, { default: null }),
            },
          ],
          keys,
        )),
        ...(await cellsOf(
          `app: memory set, { ttl } per call, ${size}`,
          [
            {
              subject: 'lru-cache',
              kind: 'raw',
              reference: true,
              op: (k, i) => lru.set(k, values[i]!, { ttl: TTL_MS }),
              readBack: (k) => lru.get(k),
              ttlOf: lruTtl,
            },
            {
              subject: LARDER,
              kind: 'larder',
              op: (k, i) => plain.set(k, values[i]!, { ttl: TTL }),
              readBack: (k) => plain.get(k),
              ttlOf: (k) => plain.ttl(k),
            },
            {
              subject: SPACED,
              kind: 'larder',
              versus: LARDER,
              op: (k, i) => spaced.set(k, values[i]!, { ttl: TTL }),
              readBack: (k) => spaced.get(k),
              ttlOf: (k) => spaced.ttl(k),
            },
          ],
          keys,
        )),
      ];
      ok(spaced.storedKey(keys[0]!).startsWith(`${NAMESPACE}:`), 'the namespaced cache prefixes its keys');
      return { cells, close: async () => void (await Promise.all([plain.close(), spaced.close()])) };
    },
  };
}

/** getOrSet and cached() hits in memory, beside lru-cache fetch() and get, cache-manager, bentocache. */
function readThroughStage(count: number): Stage {
  const size = keysLabel(count);
  return {
    name: `memory read-through, ${size}`,
    build: async () => {
      const keys = keysOf(count);
      const fetcher = new LRUCache<string, object>({ max: count, ttl: TTL_MS, fetchMethod: load });
      const cache = new Cache({ backend: new MemoryBackend({ maxSize: count }), ttl: TTL });
      const spaced = new Cache({
        backend: new MemoryBackend({ maxSize: count }),
        ttl: TTL,
        namespace: NAMESPACE,
      });
      // cache-manager 7's README: a Keyv over CacheableMemory for a bounded LRU store.
      const manager = createCache({
        stores: [new Keyv({ store: new KeyvCacheableMemory({ lruSize: count }) })],
      });
      const bento = new BentoCache({
        default: 'memory',
        stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: count })) },
      });
      const getOrSet: Row[] = [
        {
          subject: 'lru-cache fetch()',
          kind: 'raw',
          reference: true,
          op: (k) => fetcher.fetch(k),
          ttlOf: (k) => fetcher.getRemainingTTL(k),
        },
        {
          subject: `${LARDER} getOrSet`,
          kind: 'larder',
          op: (k) => cache.getOrSet(k, () => load(k), { ttl: TTL }),
          ttlOf: (k) => cache.ttl(k),
        },
        {
          subject: `${LARDER} getOrSet, ${IN_NAMESPACE}`,
          kind: 'larder',
          versus: `${LARDER} getOrSet`,
          op: (k) => spaced.getOrSet(k, () => load(k), { ttl: TTL }),
          ttlOf: (k) => spaced.ttl(k),
        },
        { subject: 'cache-manager wrap', kind: 'peer', op: (k) => manager.wrap(k, () => load(k), TTL_MS) },
        {
          subject: 'bentocache getOrSet',
          kind: 'peer',
          op: (k) => bento.getOrSet({ key: k, factory: () => load(k), ttl: TTL }),
        },
      ];
      for (const row of getOrSet) await fillThrough(row.op, keys);

      // cached(): a key option, default keys (the function's name and its encoded argument), and
      // a key option in a namespaced cache; against a get of lru-cache holding ttl'd entries.
      const lru = new LRUCache<string, object>({ max: count, ttl: TTL_MS });
      for (const key of keys) lru.set(key, valueFor(key), { ttl: TTL_MS });
      const memo = new Cache({ backend: new MemoryBackend({ maxSize: 2 * count }), ttl: TTL });
      const memoSpaced = new Cache({
        backend: new MemoryBackend({ maxSize: count }),
        ttl: TTL,
        namespace: NAMESPACE,
      });
      const byKey = cached(async (key: string) => load(key), { cache: memo, key: (key) => key, ttl: TTL });
      const byArgs = cached(
        async function loadUser(key: string) {
          return load(key);
        },
        { cache: memo, ttl: TTL },
      );
      const spacedByKey = cached(async (key: string) => load(key), {
        cache: memoSpaced,
        key: (key) => key,
        ttl: TTL,
      });
      // The memoised functions are called with one argument, as applications call them: the walk's
      // index must not reach them as a second one (every call would take the two-argument path).
      const memoised: Row[] = [
        {
          subject: "lru-cache get, ttl'd",
          kind: 'raw',
          reference: true,
          op: (k) => lru.get(k),
          ttlOf: (k) => lru.getRemainingTTL(k),
        },
        {
          subject: `${LARDER} cached(), key option`,
          kind: 'larder',
          op: (k) => byKey(k),
          ttlOf: (k) => memo.ttl(k),
        },
        { subject: `${LARDER} cached(), default keys`, kind: 'larder', op: (k) => byArgs(k) },
        {
          subject: `${LARDER} cached(), key option, ${IN_NAMESPACE}`,
          kind: 'larder',
          versus: `${LARDER} cached(), key option`,
          op: (k) => spacedByKey(k),
          ttlOf: (k) => memoSpaced.ttl(k),
        },
      ];
      for (const row of memoised.slice(1)) await fillThrough(row.op, keys);
      const cells = [
        ...(await cellsOf(
          `app: memory getOrSet (hit), ${size}`,
          getOrSet.map((row) => ({ ...row, hit: true })),
          keys,
        )),
        ...(await cellsOf(
          `app: memory cached() hit, ttl'd, ${size}`,
          memoised.map((row, i) => (i === 0 ? row : { ...row, hit: true })),
          keys,
        )),
      ];
      return {
        cells,
        close: async () => {
          await Promise.all([cache.close(), spaced.close(), memo.close(), memoSpaced.close()]);
          await manager.disconnect();
          await bento.disconnect();
        },
      };
    },
  };
}

/**
 * Redis getOrSet hits, one at a time and 64 concurrent: a GET (and on a miss a SET with PX)
 * written by hand over raw ioredis, plain and auto-pipelined, against larder and bentocache (its
 * redis driver as the only tier, so that every hit is a round trip).
 */
function redisStage(count: number, url: string, port: number): Stage {
  return {
    name: `redis read-through, ${keysLabel(count)}`,
    build: async () => {
      const keys = keysOf(count);
      const plain = new Redis({ port });
      const piped = new Redis({ port, enableAutoPipelining: true });
      const cache = new Cache({ backend: new RedisBackend({ url }), ttl: TTL, namespace: NAMESPACE });
      // The Redis half of the benchmark left its own keys (and no ttls) behind: start afresh.
      await plain.flushall();
      const bento = new BentoCache({
        default: 'redis',
        prefix: 'app-bento',
        stores: {
          redis: bentostore().useL2Layer(redisDriver({ connection: { host: '127.0.0.1', port } })),
        },
      });
      const close = async (): Promise<void> => {
        plain.disconnect();
        piped.disconnect();
        await Promise.all([cache.close(), bento.disconnect()]);
      };
      try {
        const rows: Row[] = [
          byHand('ioredis GET/SET by hand', plain, 'app-raw:'),
          byHand('ioredis auto-pipelined GET/SET by hand', piped, 'app-rawp:'),
          {
            subject: `${LARDER} getOrSet, ${IN_NAMESPACE}`,
            kind: 'larder',
            hit: true,
            op: (k) => cache.getOrSet(k, () => load(k), { ttl: TTL }),
            ttlOf: (k) => cache.ttl(k),
          },
          {
            subject: 'bentocache getOrSet',
            kind: 'peer',
            hit: true,
            op: (k) => bento.getOrSet({ key: k, factory: () => load(k), ttl: TTL }),
          },
        ];
        for (const row of rows) await fillThrough(row.op, keys);
        const cells = [
          ...(await cellsOf('app: redis getOrSet (hit), sequential', rows, keys, timedWalk)),
          ...(await cellsOf('app: redis getOrSet (hit), 64 concurrent', rows, keys, concurrent)),
        ];
        return { cells, close };
      } catch (error) {
        await close();
        throw error;
      }
    },
  };
}

/** getOrSet written by hand: a GET, and on a miss the loader and a SET with the ttl. */
function byHand(subject: string, client: Redis, prefix: string): Row {
  return {
    subject,
    kind: 'raw',
    reference: true,
    hit: true,
    op: async (key) => {
      const text = await client.get(prefix + key);
      if (text !== null) return JSON.parse(text) as unknown;
      const value = load(key);
      await client.set(prefix + key, JSON.stringify(value), 'PX', TTL_MS);
      return value;
    },
    ttlOf: (key) => client.pttl(prefix + key),
  };
}

/** The group's stages, in the order the tables list them; `redis` is omitted for memory only. */
export function appStages(smoke: boolean, redis?: { url: string; port: number }): Stage[] {
  const sizes = appSizes(smoke);
  return [
    ...sizes.gets.map(sizedStage),
    readThroughStage(sizes.readThrough),
    ...(redis === undefined ? [] : [redisStage(sizes.redis, redis.url, redis.port)]),
  ];
}
