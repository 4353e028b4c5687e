// The benchmark's workloads, built from subjects (./subject.ts) so every library runs the very
// same loop. Each subject round-trips a value before anything is timed.
import { Cache, MemoryBackend, cached } from '../dist/index.js';
import type { Cell, Report } from './harness.js';
import { MEMORY_SUBJECTS, memorySubject, type MemorySubjectName } from './memory-subjects.js';
import { redisSubjects } from './redis-subjects.js';
import {
  KEYS,
  MISSING,
  VALUES,
  checkRoundTrip,
  fill,
  valueFor,
  type Subject,
  type SubjectKind,
} from './subject.js';

const CAPACITY = 20_000;
// An hour: long enough that nothing expires during a run.
const TTL_MS = 3_600_000;

/**
 * Awaits `fn` on `ops` keys in turn (with each key's index): one operation in flight, as in a
 * request handler.
 */
function loop(fn: (key: string, index: number) => unknown, keys: readonly string[]): Cell['run'] {
  return async (ops) => {
    for (let i = 0; i < ops; i++) {
      const index = i % keys.length;
      await fn(keys[index]!, index);
    }
  };
}

function cellsOf(
  workload: string,
  subjects: readonly Subject[],
  run: (subject: Subject) => Cell['run'],
): Cell[] {
  return subjects.map((subject) => ({
    workload,
    subject: subject.name,
    kind: subject.kind,
    reference: subject.reference === true,
    run: run(subject),
  }));
}

/** Memory: awaited get-hit, get-miss and set of a ~1 KB object on 10k keys, and a cached() hit. */
export async function memoryCells(): Promise<{ cells: Cell[]; close: () => Promise<void> }> {
  const subjects = MEMORY_SUBJECTS.map((name) => memorySubject(name, CAPACITY));
  for (const subject of subjects) {
    await checkRoundTrip(subject);
    await fill(subject, KEYS);
  }
  const cells = [
    ...cellsOf('memory get (hit)', subjects, (s) => loop((k) => s.get(k), KEYS)),
    ...cellsOf('memory get (miss)', subjects, (s) => loop((k) => s.get(k), MISSING)),
  ];

  // cached(): memoised functions whose every call is a hit, against a bare lru-cache get. One keys
  // its results by the argument itself (the `key` option), the other builds its default keys
  // (function name + encoded arguments), which costs a fresh string to build and hash per call.
  const memo = new Cache({ backend: new MemoryBackend({ maxSize: 2 * CAPACITY }) });
  const byKey = cached(async (key: string) => valueFor(key), { cache: memo, key: (key) => key });
  const byArgs = cached(async (key: string) => valueFor(key), { cache: memo });
  for (const key of KEYS) {
    await byKey(key);
    await byArgs(key);
  }
  const lru = subjects.find((s) => s.reference)!;
  const memoised = (name: string, fn: (key: string) => Promise<unknown>): Subject => ({
    name,
    kind: 'larder',
    get: fn,
    set: () => undefined,
  });
  cells.push(
    ...cellsOf(
      'cached() hit',
      [
        { ...lru, name: 'lru-cache get' },
        memoised('larder cached(), key option', byKey),
        memoised('larder cached(), default keys', byArgs),
      ],
      (s) => loop((k) => s.get(k), KEYS),
    ),
    ...cellsOf('memory set', subjects, (s) => loop((k, i) => s.set(k, VALUES[i]!), KEYS)),
  );

  // Tags: a hit on entries written with two tags (each read checks both tokens) beside the same
  // hit on untagged entries, in caches alike but for the tags.
  const plainCache = new Cache({ backend: new MemoryBackend({ maxSize: 2 * CAPACITY }) });
  const taggedCache = new Cache({ backend: new MemoryBackend({ maxSize: 2 * CAPACITY }) });
  for (const [i, key] of KEYS.entries()) {
    await plainCache.set(key, VALUES[i]!);
    await taggedCache.set(key, VALUES[i]!, { tags: [`item:${i % 100}`, 'catalog'] });
  }
  cells.push(
    ...cellsOf(
      'memory get (hit), tagged entries',
      [
        { ...lru, name: 'lru-cache get' },
        memoised('larder get, untagged', (key) => plainCache.get(key)),
        memoised('larder get, two tags', (key) => taggedCache.get(key)),
      ],
      (s) => loop((k) => s.get(k), KEYS),
    ),
  );

  // As applications call a cache: every entry has a ttl, and every write passes one per call.
  const ttlSubjects = MEMORY_SUBJECTS.map((name) => memorySubject(name, CAPACITY));
  for (const subject of ttlSubjects) {
    await checkRoundTrip(subject);
    for (const [i, key] of KEYS.entries()) await subject.setWithTtl!(key, VALUES[i]!, TTL_MS);
  }
  cells.push(
    ...cellsOf("memory get (hit), ttl'd entries", ttlSubjects, (s) => loop((k) => s.get(k), KEYS)),
    ...cellsOf('memory set, { ttl } per call', ttlSubjects, (s) =>
      loop((k, i) => s.setWithTtl!(k, VALUES[i]!, TTL_MS), KEYS),
    ),
  );
  return {
    cells,
    close: async () => {
      await memo.close();
      await plainCache.close();
      await taggedCache.close();
      for (const subject of [...subjects, ...ttlSubjects]) await subject.close?.();
    },
  };
}

/** Awaits one get at a time, recording each one's latency in milliseconds. */
function sequential(subject: Subject): Cell['run'] {
  return async (ops) => {
    const latencies: number[] = [];
    for (let i = 0; i < ops; i++) {
      const started = performance.now();
      await subject.get(KEYS[i % KEYS.length]!);
      latencies.push(performance.now() - started);
    }
    return latencies;
  };
}

/** 64 callers, each awaiting its own operations one after another, until `ops` are done. */
function concurrent(work: (key: string, index: number) => unknown): Cell['run'] {
  return async (ops) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < ops) {
          const index = next++ % KEYS.length;
          await work(KEYS[index]!, index);
        }
      }),
    );
  };
}

/** `batches` reads of 100 consecutive keys each. */
function batched(subject: Subject): Cell['run'] {
  return async (batches) => {
    for (let b = 0; b < batches; b++) {
      const start = (b * 100) % (KEYS.length - 100);
      await subject.getMany!(KEYS.slice(start, start + 100));
    }
  };
}

/**
 * Redis: sequential get (with latencies), 64 concurrent gets and sets, and multiGet of 100 keys,
 * once for the JSON subjects and once for the msgpack ones.
 */
export async function redisCells(
  url: string,
  port: number,
): Promise<{ cells: Cell[]; close: () => Promise<void> }> {
  const subjects = redisSubjects(url, port);
  try {
    for (const subject of [...subjects.json, ...subjects.msgpack]) {
      await checkRoundTrip(subject);
      await fill(subject, KEYS);
    }
  } catch (error) {
    await subjects.close();
    throw error;
  }
  const cells: Cell[] = [];
  for (const [suffix, group] of [
    ['', subjects.json],
    [' (msgpack)', subjects.msgpack],
  ] as const) {
    cells.push(
      ...cellsOf(`redis get, sequential${suffix}`, group, (s) => sequential(s)),
      ...cellsOf(`redis get, 64 concurrent${suffix}`, group, (s) => concurrent((k) => s.get(k))),
      ...cellsOf(`redis set, 64 concurrent${suffix}`, group, (s) =>
        concurrent((k, i) => s.set(k, VALUES[i]!)),
      ),
      ...cellsOf(`redis multiGet of 100 keys${suffix}`, group, (s) => batched(s)),
    );
  }
  return { cells, close: () => subjects.close() };
}

/** Heap bytes per entry after storing `entries` small objects (needs node --expose-gc). */
export async function footprint(entries: number): Promise<Report['footprint']> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return [];
  const rows: Report['footprint'][number][] = [];
  for (const name of MEMORY_SUBJECTS) {
    gc();
    const before = process.memoryUsage().heapUsed;
    // A function of its own, so that nothing of this subject outlives the measurement (an async
    // loop body would keep the previous subject reachable into the next iteration).
    const { used, kind } = await heldBy(name, entries, gc);
    rows.push({ subject: name, kind, bytesPerEntry: Math.round((used - before) / entries) });
  }
  // A namespace costs heap too: each final key is a string of its own (`bench:k1`, where an
  // unprefixed store keeps the caller's), and the key memo remembers each key written or read.
  gc();
  const before = process.memoryUsage().heapUsed;
  const used = await heldBy(NAMESPACED, entries, gc);
  rows.push({
    subject: NAMESPACED,
    kind: 'larder',
    bytesPerEntry: Math.round((used.used - before) / entries),
  });
  return rows;
}

const NAMESPACED = 'larder, namespace "bench"';

function namespacedLarder(capacity: number): Pick<Subject, 'set' | 'close' | 'kind'> {
  const cache = new Cache({ backend: new MemoryBackend({ maxSize: capacity }), namespace: 'bench' });
  return { kind: 'larder', set: (key, value) => cache.set(key, value), close: () => cache.close() };
}

async function heldBy(
  name: MemorySubjectName | typeof NAMESPACED,
  entries: number,
  gc: () => void,
): Promise<{ used: number; kind: SubjectKind }> {
  const subject = name === NAMESPACED ? namespacedLarder(entries) : memorySubject(name, entries);
  // Each entry stores its own small object, so the figures are container overhead plus that object.
  for (let i = 0; i < entries; i++) await subject.set(`k${i}`, { id: i, name: `user ${i}` });
  gc();
  const used = process.memoryUsage().heapUsed;
  await subject.close?.();
  return { used, kind: subject.kind };
}
