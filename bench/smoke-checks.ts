// What `npm run bench -- --smoke` and `npm run bench:machinery -- --smoke` check, so the benchmark
// never rots: every workload ran every subject (each round-tripped a value before it was timed),
// the report has the shape the chart and the docs read, and the chart can be drawn from it. They
// assert what was measured, never how fast: speed targets are checked with a full `npm run bench`.
// CI runs both as steps of their own rather than in the test suite, where they took a third of the run.
import { deepStrictEqual, equal, match, ok } from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const REDIS_WORKLOADS = [
  'redis get, sequential',
  'redis get, 64 concurrent',
  'redis set, 64 concurrent',
  'redis multiGet of 100 keys',
];
const MEMORY_SUBJECTS = [
  'Map + await',
  'lru-cache',
  'larder',
  'cache-manager',
  'keyv',
  'cacheable',
  'bentocache',
];
const REDIS_SUBJECTS = [
  'ioredis',
  'ioredis auto-pipelined',
  'larder (autoPipelining off)',
  'larder (default)',
  'cache-manager',
  'keyv',
  'cacheable',
  'bentocache',
];
const PEERS = ['cache-manager', 'keyv', 'cacheable', 'bentocache'];
// The group "as applications call it" (bench/app-workloads.ts), at its --smoke key counts: 100,
// 1k and 2k keys for the sized rows (1k, 100k and 1M in a full run), 1k for the read-through ones.
const APP_SIZES = ['100 keys', '1k keys', '2k keys'];
const APP_WORKLOADS = [
  ...APP_SIZES.flatMap((size) => [
    `app: memory get (hit), ttl'd, ${size}`,
    `app: memory set, { ttl } per call, ${size}`,
  ]),
  'app: memory getOrSet (hit), 1k keys',
  "app: memory cached() hit, ttl'd, 1k keys",
  'app: redis getOrSet (hit), sequential',
  'app: redis getOrSet (hit), 64 concurrent',
];
const SPACED = 'namespace "bench"';
/** Each app workload's subjects, and the subject each namespaced row is also compared with. */
const APP_SUBJECTS: Record<string, readonly (readonly [string, string?])[]> = {
  get: [
    ['lru-cache'],
    ['larder'],
    [`larder, ${SPACED}`, 'larder'],
    ['larder, get(key, { default: null })', 'larder'],
  ],
  set: [['lru-cache'], ['larder'], [`larder, ${SPACED}`, 'larder']],
  getOrSet: [
    ['lru-cache fetch()'],
    ['larder getOrSet'],
    [`larder getOrSet, ${SPACED}`, 'larder getOrSet'],
    ['cache-manager wrap'],
    ['bentocache getOrSet'],
  ],
  cached: [
    ["lru-cache get, ttl'd"],
    ['larder cached(), key option'],
    ['larder cached(), default keys'],
    [`larder cached(), key option, ${SPACED}`, 'larder cached(), key option'],
  ],
  redis: [
    ['ioredis GET/SET by hand'],
    ['ioredis auto-pipelined GET/SET by hand'],
    [`larder getOrSet, ${SPACED}`],
    ['bentocache getOrSet'],
  ],
};

function appSubjectsOf(workload: string): readonly (readonly [string, string?])[] {
  if (workload.includes('get (hit)')) return APP_SUBJECTS.get!;
  if (workload.includes('set, { ttl }')) return APP_SUBJECTS.set!;
  if (workload.includes('memory getOrSet')) return APP_SUBJECTS.getOrSet!;
  if (workload.includes('cached()')) return APP_SUBJECTS.cached!;
  return APP_SUBJECTS.redis!;
}

/** A subject's kind by its name: larder's rows start with "larder", a peer's with its name. */
function kindOf(subject: string): string {
  if (subject.startsWith('larder')) return 'larder';
  return PEERS.some((peer) => subject === peer || subject.startsWith(`${peer} `)) ? 'peer' : 'raw';
}

/** Checks a `--smoke` report: every workload, every subject, each kind right, one round each. */
export function checkSmokeReport(report: Report): void {
  equal(report.meta.mode, 'smoke');
  const workloads = [...new Set(report.results.map((r) => r.workload))];
  deepStrictEqual(workloads, [
    'memory get (hit)',
    'memory get (miss)',
    'cached() hit',
    'memory set',
    'memory get (hit), tagged entries',
    "memory get (hit), ttl'd entries",
    'memory set, { ttl } per call',
    ...REDIS_WORKLOADS,
    ...REDIS_WORKLOADS.map((w) => `${w} (msgpack)`),
    ...APP_WORKLOADS,
  ]);
  const subjectsOf = (workload: string): string[] =>
    report.results.filter((r) => r.workload === workload).map((r) => r.subject);
  deepStrictEqual(subjectsOf('memory get (hit)'), MEMORY_SUBJECTS);
  deepStrictEqual(subjectsOf('memory set'), MEMORY_SUBJECTS);
  deepStrictEqual(subjectsOf("memory get (hit), ttl'd entries"), MEMORY_SUBJECTS);
  deepStrictEqual(subjectsOf('memory set, { ttl } per call'), MEMORY_SUBJECTS);
  deepStrictEqual(subjectsOf('cached() hit'), [
    'lru-cache get',
    'larder cached(), key option',
    'larder cached(), default keys',
  ]);
  deepStrictEqual(subjectsOf('memory get (hit), tagged entries'), [
    'lru-cache get',
    'larder get, untagged',
    'larder get, two tags',
  ]);
  for (const workload of REDIS_WORKLOADS) deepStrictEqual(subjectsOf(workload), REDIS_SUBJECTS, workload);
  deepStrictEqual(subjectsOf('redis get, sequential (msgpack)'), [
    'ioredis + msgpack',
    'ioredis auto-pipelined + msgpack',
    'larder msgpack',
  ]);
  for (const workload of APP_WORKLOADS) {
    const rows = report.results.filter((r) => r.workload === workload);
    deepStrictEqual(
      rows.map((r) => [r.subject, r.versus?.subject]),
      appSubjectsOf(workload).map(([subject, versus]) => [subject, versus]),
      workload,
    );
    for (const row of rows) {
      if (row.versus !== undefined) ok(row.versus.ratio > 0, `${workload} / ${row.subject}: versus ratio`);
    }
  }
  for (const result of [...report.results, ...report.footprint]) {
    equal(result.kind, kindOf(result.subject), result.subject);
  }
  for (const result of report.results) {
    const cell = `${result.workload} / ${result.subject}`;
    ok(typeof result.opsPerSecond === 'number' && result.opsPerSecond > 0, `${cell}: opsPerSecond`);
    equal(result.rounds.length, 1, `${cell}: rounds`);
    ok(result.ratio > 0, `${cell}: ratio`);
  }
  // Each workload's ratios are taken against its fastest reference, which therefore scores 1.
  for (const workload of workloads) {
    const references = report.results.filter((r) => r.workload === workload && r.reference);
    equal(Math.max(...references.map((r) => r.ratio)), 1, workload);
  }
  deepStrictEqual(
    report.footprint.map((f) => f.subject),
    [...MEMORY_SUBJECTS, 'larder, namespace "bench"'],
  );
}

/** Checks the chart drawn from `report`: an SVG with a bar per result and a heading per workload. */
export function checkChart(svg: string, report: Report): void {
  ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), 'the chart starts as an SVG');
  ok(svg.trimEnd().endsWith('</svg>'), 'the chart ends as an SVG');
  equal(svg.match(/<rect class="bar"/g)?.length, report.results.length + report.footprint.length, 'bars');
  for (const workload of new Set(report.results.map((r) => r.workload)))
    ok(svg.includes(`>${workload}</text>`), `a heading for ${workload}`);
  ok(svg.includes('larder (default)'), 'a bar for larder (default)');
}

/** Checks `bench:machinery -- --smoke` output: both workloads and the rows of the machinery. */
export function checkMachineryOutput(markdown: string): void {
  for (const text of [
    '### memory get (hit), awaited one at a time',
    '### redis get, 64 concurrent',
    'no time limit (timeout: 0)',
    'a no-op postGet hook',
    'a namespace',
    'a per-call time limit',
  ])
    ok(markdown.includes(text), `the machinery report has "${text}"`);
}

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runChart(args: readonly string[]): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bench/chart.ts', ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * The chart script (`npm run bench:chart`) draws that very report from a file, and explains its
 * usage when given none: run as users run it, in a process of its own.
 */
export async function checkChartScript(report: Report): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'larder-bench-'));
  try {
    const file = join(dir, 'results.json');
    await writeFile(file, JSON.stringify(report));
    const drawn = await runChart([file]);
    equal(drawn.code, 0, drawn.stderr);
    checkChart(drawn.stdout, report);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const bare = await runChart([]);
  equal(bare.code, 2, 'the chart script with no report exits 2');
  match(bare.stderr, /usage: .*bench:chart/);
}

/** Runs `checks`, then says on stderr that they passed, or why not (and sets a failing exit code). */
export async function smokeChecked(what: string, checks: () => void | Promise<void>): Promise<void> {
  try {
    await checks();
    process.stderr.write(`${what}: smoke checks passed\n`);
  } catch (error) {
    process.stderr.write(
      `${what}: smoke check FAILED: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
