// What the plugin mechanism costs on the memory hot path: a cache with no plugins, one with a
// plugin that has no hooks for `get`, and one with a no-op `postGet` hook. Interleaved rounds,
// median ns per awaited get.   npx tsx bench/plugin-overhead.ts
import { Cache, type Plugin } from '../lib/index.js';

const N = 1_000_000;
const ROUNDS = 5;
const keys = Array.from({ length: 10_000 }, (_, i) => `k${i}`);
const value = { id: 1, name: 'x' };

const cells: [string, Cache][] = [
  ['no plugins', new Cache()],
  ['a plugin with no get hooks', new Cache({ plugins: [{ postSet: () => undefined } satisfies Plugin] })],
  ['a no-op postGet hook', new Cache({ plugins: [{ postGet: () => undefined } satisfies Plugin] })],
];
for (const [, cache] of cells) for (const key of keys) await cache.set(key, value);

const samples = new Map<string, number[]>(cells.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, cache] of cells) {
    const started = performance.now();
    for (let i = 0; i < N; i++) await cache.get(keys[i % keys.length]!);
    samples.get(name)!.push(((performance.now() - started) * 1e6) / N);
  }
}
console.log('| memory `get`, awaited | median ns/op |');
console.log('|---|---:|');
for (const [name, values] of samples) {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(`| ${name} | ${Math.round(sorted[Math.floor(sorted.length / 2)]!)} |`);
}
