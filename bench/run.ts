// larder's benchmark, side by side with the raw floors (Map, lru-cache, ioredis plain and
// auto-pipelined) and the peers (cache-manager, keyv + @keyv/redis, cacheable, bentocache).
//   npm run bench                  full run
//   npm run bench -- --quick       under a minute
//   npm run bench -- --json        JSON instead of markdown
//   npm run bench -- --only=memory  one half (or --only=redis)
//   --smoke                        tiny op counts: what the test suite runs so this never rots
// larder is measured as users run it, from the built package (dist/, which `npm run bench` builds
// first): the TypeScript loader's output wraps closures in naming helpers that cost on hot paths.
import { RedisServer } from '../test/support/redis-server.js';
import { measure, toMarkdown, type CellResult, type Plan } from './harness.js';
import { footprint, memoryCells, redisCells } from './workloads.js';

const quick = process.argv.includes('--quick');
const smoke = process.argv.includes('--smoke');
const json = process.argv.includes('--json');
// --only=memory or --only=redis runs one half (the heap footprint goes with memory).
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const plan: Plan = smoke
  ? { rounds: 1, roundMs: 0, fixedOps: 200 }
  : quick
    ? { rounds: 5, roundMs: 50 }
    : { rounds: 11, roundMs: 250 };

const results: CellResult[] = [];
if (only !== 'redis') {
  const memory = await memoryCells();
  results.push(...(await measure(memory.cells, plan)));
  await memory.close();
}
if (only !== 'memory') {
  const server = await RedisServer.start();
  try {
    const redis = await redisCells(server.url, server.port);
    results.push(...(await measure(redis.cells, plan)));
    await redis.close();
  } finally {
    await server.stop();
  }
}
const entries = smoke ? 1_000 : 100_000;
const heap = only === 'redis' ? [] : await footprint(entries);

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  rounds: plan.rounds,
  roundMs: plan.roundMs,
  mode: smoke ? 'smoke' : quick ? 'quick' : 'full',
};
if (json) {
  process.stdout.write(`${JSON.stringify({ meta, results, footprint: heap }, null, 2)}\n`);
} else {
  process.stdout.write(
    `Benchmark (${meta.mode}): ${meta.date}, Node ${meta.node}, medians of ${plan.rounds} interleaved rounds\n\n`,
  );
  process.stdout.write(toMarkdown(results));
  if (heap.length > 0) {
    process.stdout.write(
      `\n### heap per entry (${entries.toLocaleString('en')} small objects)\n\n| subject | bytes/entry |\n|---|---:|\n`,
    );
    for (const row of heap) process.stdout.write(`| ${row.subject} | ${row.bytesPerEntry} |\n`);
  }
}
