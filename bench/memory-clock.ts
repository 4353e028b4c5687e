// What reading the clock costs the memory backend: gets of entries with and without ttls, and
// writes with a ttl, with the default clock (systemClock: one Date.now() reading reused for about
// 1 ms) against a clock that reads Date.now() on every decision (what the backend did before),
// and lru-cache doing the same with `{ ttl }` as the reference. Backend calls are made directly
// (synchronous loops) and through a Cache (awaited one at a time, as a request handler does).
// Calibrated, interleaved rounds through the benchmark's harness; larder from dist/.
//   npm run build && tsx bench/memory-clock.ts     (--quick: a short run; --smoke: a tiny one)
//   --before=<path of another build's dist/index.js>: adds that build's backend, default options
import { LRUCache } from 'lru-cache';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cache, MemoryBackend, type Clock } from '../dist/index.js';
import { measure, toMarkdown, type Cell, planFromArgs } from './harness.js';
import { KEYS, VALUES } from './subject.js';

const plan = planFromArgs(process.argv);
const beforePath = process.argv.find((arg) => arg.startsWith('--before='))?.slice('--before='.length);

const HOUR = 3_600_000;
const CAPACITY = 2 * KEYS.length;

/** The calls a workload makes, whatever the store. */
interface Store {
  get(key: string): unknown;
  set(key: string, value: object): unknown;
}

type BackendFactory = () => MemoryBackend;
// A build's Cache, so that each backend is read through the Cache of its own build.
type CacheFactory = (backend: MemoryBackend) => { get(key: string): unknown; close(): unknown };
const dateNowClock: Clock = { now: () => Date.now() };
const thisCache: CacheFactory = (backend) => new Cache({ backend });
const larders: [string, BackendFactory, CacheFactory][] = [
  ['larder, systemClock (default)', () => new MemoryBackend({ maxSize: CAPACITY }), thisCache],
  [
    'larder, Date.now() on every call',
    () => new MemoryBackend({ maxSize: CAPACITY, clock: dateNowClock }),
    thisCache,
  ],
];
if (beforePath !== undefined) {
  const before = (await import(pathToFileURL(resolve(beforePath)).href)) as {
    MemoryBackend: new (options: object) => MemoryBackend;
    Cache: new (options: object) => ReturnType<CacheFactory>;
  };
  larders.push([
    'larder, --before build',
    () => new before.MemoryBackend({ maxSize: CAPACITY }),
    (backend) => new before.Cache({ backend }),
  ]);
}

const closers: (() => unknown)[] = [];

/** A backend (or the lru-cache) holding every key, written with `ttl` (0: none). */
function filled(make: () => Store, ttl: number): Store {
  const store = make();
  KEYS.forEach((key, i) => store.set(key, VALUES[i]!));
  if (store.get(KEYS[0]!) !== VALUES[0] || store.get(KEYS.at(-1)!) !== VALUES.at(-1)) {
    throw new Error(`a store (ttl ${ttl}) does not read back what was written`);
  }
  return store;
}

function backendStore(make: BackendFactory, ttl: number): Store & { backend: MemoryBackend } {
  const backend = make();
  closers.push(() => backend.close());
  return { backend, get: (key) => backend.get(key), set: (key, value) => backend.set(key, value, ttl) };
}

function lruStore(ttl: number): Store {
  const lru = new LRUCache<string, object>(ttl === 0 ? { max: CAPACITY } : { max: CAPACITY, ttl });
  return { get: (key) => lru.get(key), set: (key, value) => lru.set(key, value) };
}

function syncGets(store: Store): Cell['run'] {
  return async (ops) => {
    for (let i = 0; i < ops; i++) store.get(KEYS[i % KEYS.length]!);
  };
}

function syncSets(store: Store): Cell['run'] {
  return async (ops) => {
    for (let i = 0; i < ops; i++) {
      const index = i % KEYS.length;
      store.set(KEYS[index]!, VALUES[index]!);
    }
  };
}

function awaitedGets(get: (key: string) => unknown): Cell['run'] {
  return async (ops) => {
    for (let i = 0; i < ops; i++) await get(KEYS[i % KEYS.length]!);
  };
}

const cells: Cell[] = [];
for (const [ttl, label] of [
  [HOUR, 'entries with a ttl'],
  [0, 'entries without a ttl'],
] as const) {
  const workload = `backend get (hit), ${label}`;
  const cacheWorkload = `Cache get (hit, awaited), ${label}`;
  const lru = filled(() => lruStore(ttl), ttl);
  cells.push({ workload, subject: 'lru-cache', kind: 'raw', reference: true, run: syncGets(lru) });
  cells.push({
    workload: cacheWorkload,
    subject: 'lru-cache',
    kind: 'raw',
    reference: true,
    run: awaitedGets(lru.get),
  });
  for (const [subject, make, cacheOver] of larders) {
    const store = filled(() => backendStore(make, ttl), ttl) as ReturnType<typeof backendStore>;
    cells.push({ workload, subject, kind: 'larder', run: syncGets(store) });
    const cache = cacheOver(store.backend);
    closers.push(() => cache.close());
    cells.push({
      workload: cacheWorkload,
      subject,
      kind: 'larder',
      run: awaitedGets((key) => cache.get(key)),
    });
  }
}
const setWorkload = 'backend set, with a ttl (1 h)';
cells.push({
  workload: setWorkload,
  subject: 'lru-cache',
  kind: 'raw',
  reference: true,
  run: syncSets(lruStore(HOUR)),
});
for (const [subject, make] of larders) {
  cells.push({ workload: setWorkload, subject, kind: 'larder', run: syncSets(backendStore(make, HOUR)) });
}

try {
  process.stdout.write(toMarkdown(await measure(cells, plan)));
} finally {
  for (const close of closers) await close();
}
