// larder's benchmark, side by side with the raw floors (Map, lru-cache, ioredis plain and
// auto-pipelined) and the peers (cache-manager, keyv + @keyv/redis, cacheable, bentocache).
//   npm run bench                  full run
//   npm run bench -- --quick       under a minute
//   npm run bench -- --json        JSON instead of markdown
//   npm run bench -- --report=results.json   a saved JSON report as markdown (measures nothing)
//   npm run bench -- --only=memory  one half (or --only=redis), without the group below
//   npm run bench -- --only=app     only the group "as applications call it" (bench/app-workloads.ts):
//                                  ttl'd entries, { ttl } writes, a namespace, 1k/100k/1M keys,
//                                  getOrSet and cached() beside their peers' equivalents
//   npm run bench -- --smoke       tiny op counts, then checks the report and its chart (a CI step,
//                                  so this never rots; see bench/smoke-checks.ts)
// larder is measured as users run it, from the built package (dist/, which `npm run bench` builds
// first): the TypeScript loader's output wraps closures in naming helpers that cost on hot paths.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { RedisServer } from '../test/support/redis-server.js';
import { appStages } from './app-workloads.js';
import { measure, reportToMarkdown, type CellResult, planFromArgs, type Report } from './harness.js';
import { checkChartScript, checkSmokeReport, smokeChecked } from './smoke-checks.js';
import { footprint, memoryCells, redisCells } from './workloads.js';

const quick = process.argv.includes('--quick');
const smoke = process.argv.includes('--smoke');
const json = process.argv.includes('--json');
// --only=memory or --only=redis runs one half (the heap footprint goes with memory), --only=app
// the group "as applications call it"; a full run has all three.
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const plan = planFromArgs(process.argv, 200);

const saved = process.argv.find((arg) => arg.startsWith('--report='))?.slice('--report='.length);
if (saved !== undefined) {
  // Prints a saved --json report as markdown, measuring nothing.
  process.stdout.write(reportToMarkdown(JSON.parse(readFileSync(saved, 'utf8')) as Report));
  process.exit(0);
}

if (only !== undefined && !['memory', 'redis', 'app'].includes(only)) {
  process.stderr.write(`--only takes memory, redis or app; got ${only}\n`);
  process.exit(2);
}
const runs = (group: string): boolean => only === undefined || only === group;
const gc = (globalThis as { gc?: () => void }).gc;

const results: CellResult[] = [];
if (runs('memory')) {
  const memory = await memoryCells();
  results.push(...(await measure(memory.cells, plan)));
  await memory.close();
}
if (runs('redis') || runs('app')) {
  const server = await RedisServer.start();
  try {
    if (runs('redis')) {
      const redis = await redisCells(server.url, server.port);
      results.push(...(await measure(redis.cells, plan)));
      await redis.close();
    }
    if (runs('app')) {
      // One stage at a time, each closed (and its heap collected) before the next is built.
      for (const stage of appStages(smoke, { url: server.url, port: server.port })) {
        gc?.();
        const { cells, close } = await stage.build();
        try {
          results.push(...(await measure(cells, plan)));
        } finally {
          await close();
        }
      }
      gc?.();
    }
  } finally {
    await server.stop();
  }
}
const entries = smoke ? 1_000 : 100_000;
const heap = runs('memory') ? await footprint(entries) : [];

const report: Report = {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
    redis: redisVersion(),
    mode: smoke ? 'smoke' : quick ? 'quick' : 'full',
    rounds: plan.rounds,
    roundMs: plan.roundMs,
  },
  results,
  footprint: heap,
  footprintEntries: entries,
};
process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : reportToMarkdown(report));
// The checks expect every workload, so a smoke run of one half only measures.
if (smoke && only === undefined) {
  await smokeChecked('npm run bench -- --smoke', async () => {
    checkSmokeReport(report);
    await checkChartScript(report);
  });
}

function redisVersion(): string {
  const banner = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(banner)?.[1] ?? 'unknown';
}
