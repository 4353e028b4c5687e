// The benchmark's workloads: each subject is configured as its docs recommend, and checked to
// round-trip a value before anything is timed.
import { deepStrictEqual } from 'node:assert';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Cache, MemoryBackend, MsgpackSerializer, RedisBackend, cached } from '../lib/index.js';
import type { Cell } from './harness.js';

/** A ~1 KB JSON-able object, the value every workload stores. */
export const VALUE = Object.freeze({
  id: 48213,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  roles: ['admin', 'editor', 'viewer'],
  address: { street: '12 St James Square', city: 'London', zip: 'SW1Y 4JH', country: 'GB' },
  preferences: { theme: 'dark', language: 'en-GB', notifications: { email: true, sms: false, push: true } },
  history: Array.from({ length: 12 }, (_, i) => ({
    at: `2026-11-${String(i + 1).padStart(2, '0')}`,
    event: 'login',
    ok: i % 5 !== 0,
  })),
  note: 'x'.repeat(200),
});

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user:${i}`);
const MISSING = KEYS.map((key) => `${key}:missing`);

async function checked(
  name: string,
  write: () => Promise<unknown>,
  read: () => Promise<unknown>,
): Promise<void> {
  await write();
  deepStrictEqual(
    JSON.parse(JSON.stringify(await read())),
    JSON.parse(JSON.stringify(VALUE)),
    `${name} did not round-trip the value`,
  );
}

/** Memory: awaited get-hit, get-miss and set on 10k keys. */
export async function memoryCells(ops: number): Promise<Cell[]> {
  const map = new Map<string, unknown>();
  const lru = new LRUCache<string, object>({ max: 20_000 });
  const larder = new Cache({ backend: new MemoryBackend({ maxSize: 20_000 }), timeout: '5s' });
  await checked(
    'Map',
    async () => map.set('check', VALUE),
    async () => map.get('check'),
  );
  await checked(
    'lru-cache',
    async () => lru.set('check', VALUE),
    async () => lru.get('check'),
  );
  await checked(
    'larder',
    () => larder.set('check', VALUE),
    () => larder.get('check'),
  );
  for (const key of KEYS) {
    map.set(key, VALUE);
    lru.set(key, VALUE);
    await larder.set(key, VALUE);
  }
  const loop = (fn: (key: string) => unknown, keys: readonly string[]) => async () => {
    for (let i = 0; i < ops; i++) await fn(keys[i % keys.length]!);
  };
  const cells: Cell[] = [];
  for (const [workload, keys] of [
    ['memory get (hit)', KEYS],
    ['memory get (miss)', MISSING],
  ] as const) {
    cells.push(
      { workload, subject: 'Map + await', ops, run: loop((k) => map.get(k), keys) },
      { workload, subject: 'lru-cache', reference: true, ops, run: loop((k) => lru.get(k), keys) },
      { workload, subject: 'larder', ops, run: loop((k) => larder.get(k), keys) },
    );
  }
  // cached(): a memoised function whose every call is a hit.
  const memo = new Cache({ backend: new MemoryBackend({ maxSize: 20_000 }) });
  const lookup = cached(async (key: string) => ({ ...VALUE, key }), { cache: memo, key: (key) => key });
  for (const key of KEYS) await lookup(key);
  cells.push(
    {
      workload: 'cached() hit',
      subject: 'lru-cache get',
      reference: true,
      ops,
      run: loop((k) => lru.get(k), KEYS),
    },
    { workload: 'cached() hit', subject: 'larder cached()', ops, run: loop((k) => lookup(k), KEYS) },
  );
  cells.push(
    { workload: 'memory set', subject: 'Map + await', ops, run: loop((k) => map.set(k, VALUE), KEYS) },
    {
      workload: 'memory set',
      subject: 'lru-cache',
      reference: true,
      ops,
      run: loop((k) => lru.set(k, VALUE), KEYS),
    },
    { workload: 'memory set', subject: 'larder', ops, run: loop((k) => larder.set(k, VALUE), KEYS) },
  );
  return cells;
}

/** Redis: sequential get (with latencies), 64 concurrent gets and sets, and MGET of 100 keys. */
export async function redisCells(
  url: string,
  port: number,
  ops: number,
): Promise<{ cells: Cell[]; close: () => Promise<void> }> {
  const plain = new Redis({ port });
  const piped = new Redis({ port, enableAutoPipelining: true });
  const larderPlain = new Cache({ backend: new RedisBackend({ url, autoPipelining: false }), timeout: 0 });
  const larderPiped = new Cache({ backend: new RedisBackend({ url }), timeout: 0 });
  const larderPack = new Cache({
    backend: new RedisBackend({ url }),
    serializer: new MsgpackSerializer(),
    timeout: 0,
    namespace: 'mp',
  });
  const text = JSON.stringify(VALUE);
  await checked(
    'ioredis',
    () => plain.set('check', text),
    async () => JSON.parse((await plain.get('check'))!),
  );
  await checked(
    'larder (redis)',
    () => larderPiped.set('check', VALUE),
    () => larderPiped.get('check'),
  );
  await checked(
    'larder (msgpack)',
    () => larderPack.set('check', VALUE),
    () => larderPack.get('check'),
  );
  await larderPiped.multiSet(KEYS.map((key) => [key, VALUE] as [string, unknown]));
  await larderPack.multiSet(KEYS.map((key) => [key, VALUE] as [string, unknown]));

  const sequential = (get: (key: string) => Promise<unknown>) => async (): Promise<number[]> => {
    const latencies: number[] = [];
    for (let i = 0; i < ops; i++) {
      const started = performance.now();
      await get(KEYS[i % KEYS.length]!);
      latencies.push(performance.now() - started);
    }
    return latencies;
  };
  const concurrent = (work: (key: string) => Promise<unknown>) => async (): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < ops) await work(KEYS[next++ % KEYS.length]!);
      }),
    );
  };
  const batches = Math.max(1, Math.floor(ops / 100));
  const mget = (get: (keys: string[]) => Promise<unknown>) => async (): Promise<void> => {
    for (let b = 0; b < batches; b++) {
      const start = (b * 100) % (KEYS.length - 100);
      await get(KEYS.slice(start, start + 100));
    }
  };
  const rawGet = (client: Redis) => async (key: string) => JSON.parse((await client.get(key))!) as unknown;
  const rawSet = (client: Redis) => (key: string) => client.set(key, JSON.stringify(VALUE));
  const rawMget = (client: Redis) => async (keys: string[]) =>
    (await client.mget(...keys)).map((v) => JSON.parse(v!) as unknown);

  const cells: Cell[] = [];
  const add = (
    workload: string,
    subjects: [string, () => Promise<number[] | void>, boolean?][],
    cellOps = ops,
  ): void => {
    for (const [subject, run, reference] of subjects)
      cells.push({ workload, subject, ops: cellOps, run, reference: reference === true });
  };
  add('redis get, sequential', [
    ['ioredis', sequential(rawGet(plain)), true],
    ['ioredis auto-pipelined', sequential(rawGet(piped))],
    ['larder (autoPipelining off)', sequential((k) => larderPlain.get(k))],
    ['larder (default)', sequential((k) => larderPiped.get(k))],
    ['larder msgpack', sequential((k) => larderPack.get(k))],
  ]);
  add('redis get, 64 concurrent', [
    ['ioredis', concurrent(rawGet(plain))],
    ['ioredis auto-pipelined', concurrent(rawGet(piped)), true],
    ['larder (autoPipelining off)', concurrent((k) => larderPlain.get(k))],
    ['larder (default)', concurrent((k) => larderPiped.get(k))],
    ['larder msgpack', concurrent((k) => larderPack.get(k))],
  ]);
  add('redis set, 64 concurrent', [
    ['ioredis', concurrent(rawSet(plain))],
    ['ioredis auto-pipelined', concurrent(rawSet(piped)), true],
    ['larder (autoPipelining off)', concurrent((k) => larderPlain.set(k, VALUE))],
    ['larder (default)', concurrent((k) => larderPiped.set(k, VALUE))],
    ['larder msgpack', concurrent((k) => larderPack.set(k, VALUE))],
  ]);
  add(
    'redis multiGet of 100 keys',
    [
      ['ioredis MGET', mget(rawMget(plain)), true],
      ['larder (default)', mget((keys) => larderPiped.multiGet(keys))],
      ['larder msgpack', mget((keys) => larderPack.multiGet(keys))],
    ],
    batches,
  );
  return {
    cells,
    close: async () => {
      plain.disconnect();
      piped.disconnect();
      await Promise.all([larderPlain.close(), larderPiped.close(), larderPack.close()]);
    },
  };
}

/** Heap bytes per entry after storing 100k entries (needs node --expose-gc). */
export async function footprint(entries: number): Promise<{ subject: string; bytesPerEntry: number }[]> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return [];
  const measureOne = async (fill: () => Promise<unknown>): Promise<number> => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept = await fill();
    gc();
    const used = process.memoryUsage().heapUsed - before;
    void kept;
    return Math.round(used / entries);
  };
  // Each entry stores its own small object, so the figures are container overhead plus that object.
  const make = (i: number) => ({ id: i, name: `user ${i}` });
  return [
    {
      subject: 'Map',
      bytesPerEntry: await measureOne(async () => {
        const m = new Map();
        for (let i = 0; i < entries; i++) m.set(`k${i}`, make(i));
        return m;
      }),
    },
    {
      subject: 'lru-cache',
      bytesPerEntry: await measureOne(async () => {
        const c = new LRUCache<string, object>({ max: entries });
        for (let i = 0; i < entries; i++) c.set(`k${i}`, make(i));
        return c;
      }),
    },
    {
      subject: 'larder memory',
      bytesPerEntry: await measureOne(async () => {
        const c = new Cache({ backend: new MemoryBackend({ maxSize: entries }) });
        for (let i = 0; i < entries; i++) await c.set(`k${i}`, make(i));
        return c;
      }),
    },
  ];
}
