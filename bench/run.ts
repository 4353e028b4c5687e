// larder's benchmark, side by side with raw Map, lru-cache and raw ioredis (plain and auto-pipelined).
//   npm run bench                  full run
//   npm run bench -- --quick       under a minute
//   npm run bench -- --json        JSON instead of markdown
//   --smoke                        tiny op counts: what the test suite runs so this never rots
import { RedisServer } from '../test/support/redis-server.js';
import { measure, toMarkdown, type CellResult } from './harness.js';
import { footprint, memoryCells, redisCells } from './workloads.js';

const quick = process.argv.includes('--quick');
const smoke = process.argv.includes('--smoke');
const json = process.argv.includes('--json');
const memoryOps = smoke ? 200 : quick ? 100_000 : 1_000_000;
const redisOps = smoke ? 200 : quick ? 5_000 : 30_000;
const rounds = smoke ? 1 : quick ? 3 : 7;

const results: CellResult[] = [];
results.push(...(await measure(await memoryCells(memoryOps), rounds)));
const server = await RedisServer.start();
try {
  const redis = await redisCells(server.url, server.port, redisOps);
  results.push(...(await measure(redis.cells, rounds)));
  await redis.close();
} finally {
  await server.stop();
}
const memory = await footprint(smoke ? 1_000 : 100_000);

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  rounds,
  memoryOps,
  redisOps,
  mode: smoke ? 'smoke' : quick ? 'quick' : 'full',
};
if (json) {
  process.stdout.write(`${JSON.stringify({ meta, results, footprint: memory }, null, 2)}\n`);
} else {
  process.stdout.write(
    `Benchmark (${meta.mode}): ${meta.date}, Node ${meta.node}, medians of ${rounds} interleaved rounds\n\n`,
  );
  process.stdout.write(toMarkdown(results));
  if (memory.length > 0) {
    process.stdout.write(
      '\n### heap per entry (100k small objects)\n\n| subject | bytes/entry |\n|---|---:|\n',
    );
    for (const row of memory) process.stdout.write(`| ${row.subject} | ${row.bytesPerEntry} |\n`);
  }
}
