import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../support/run.js';

// Runs the benchmark with tiny op counts so it never rots. It asserts what was measured, never
// how fast: speed targets are checked with `npm run bench`, not in tests.
describe('the benchmark (smoke run)', function () {
  this.timeout(120_000);

  it('runs every workload for larder, the raw floors and every peer, round-tripping values first, and reports JSON', async function () {
    const { code, stdout, stderr } = await run(process.execPath, [
      '--expose-gc',
      '--import',
      'tsx',
      'bench/run.ts',
      '--smoke',
      '--json',
    ]);
    expect(code, stderr).to.equal(0);
    const report = JSON.parse(stdout) as {
      meta: { mode: string };
      results: {
        workload: string;
        subject: string;
        kind: string;
        reference: boolean;
        opsPerSecond: number;
        ratio: number;
        rounds: number[];
      }[];
      footprint: { subject: string; kind: string; bytesPerEntry: number }[];
    };
    expect(report.meta.mode).to.equal('smoke');
    const workloads = [...new Set(report.results.map((r) => r.workload))];
    const redis = [
      'redis get, sequential',
      'redis get, 64 concurrent',
      'redis set, 64 concurrent',
      'redis multiGet of 100 keys',
    ];
    expect(workloads).to.deep.equal([
      'memory get (hit)',
      'memory get (miss)',
      'cached() hit',
      'memory set',
      ...redis,
      ...redis.map((w) => `${w} (msgpack)`),
    ]);
    const subjectsOf = (workload: string) =>
      report.results.filter((r) => r.workload === workload).map((r) => r.subject);
    const memoryPeers = [
      'Map + await',
      'lru-cache',
      'larder',
      'cache-manager',
      'keyv',
      'cacheable',
      'bentocache',
    ];
    const redisPeers = [
      'ioredis',
      'ioredis auto-pipelined',
      'larder (autoPipelining off)',
      'larder (default)',
      'cache-manager',
      'keyv',
      'cacheable',
      'bentocache',
    ];
    expect(subjectsOf('memory get (hit)')).to.deep.equal(memoryPeers);
    expect(subjectsOf('memory set')).to.deep.equal(memoryPeers);
    expect(subjectsOf('cached() hit')).to.deep.equal([
      'lru-cache get',
      'larder cached(), key option',
      'larder cached(), default keys',
    ]);
    for (const workload of redis) expect(subjectsOf(workload), workload).to.deep.equal(redisPeers);
    expect(subjectsOf('redis get, sequential (msgpack)')).to.deep.equal([
      'ioredis + msgpack',
      'ioredis auto-pipelined + msgpack',
      'larder msgpack',
    ]);
    const peers = ['cache-manager', 'keyv', 'cacheable', 'bentocache'];
    for (const result of [...report.results, ...report.footprint]) {
      const expected = result.subject.startsWith('larder')
        ? 'larder'
        : peers.includes(result.subject)
          ? 'peer'
          : 'raw';
      expect(result.kind, result.subject).to.equal(expected);
    }
    for (const result of report.results) {
      const cell = `${result.workload} / ${result.subject}`;
      expect(result.opsPerSecond, cell).to.be.a('number').and.above(0);
      expect(result.rounds, cell).to.have.length(1);
      expect(result.ratio, cell).to.be.above(0);
    }
    // Each workload's ratios are taken against its fastest reference, which therefore scores 1.
    for (const workload of workloads) {
      const references = report.results.filter((r) => r.workload === workload && r.reference);
      expect(Math.max(...references.map((r) => r.ratio)), workload).to.equal(1);
    }
    expect(report.footprint.map((f) => f.subject)).to.deep.equal(memoryPeers);

    // The chart script draws that very report: a bar and a ratio label per result.
    const dir = await mkdtemp(join(tmpdir(), 'larder-bench-'));
    try {
      await writeFile(join(dir, 'results.json'), stdout);
      const drawn = await run(process.execPath, [
        '--import',
        'tsx',
        'bench/chart.ts',
        join(dir, 'results.json'),
      ]);
      expect(drawn.code, drawn.stderr).to.equal(0);
      const svg = drawn.stdout;
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
      expect(svg.trimEnd().endsWith('</svg>')).to.equal(true);
      expect(svg.match(/<rect class="bar"/g)).to.have.length(report.results.length + report.footprint.length);
      for (const workload of workloads) expect(svg).to.include(`>${workload}</text>`);
      expect(svg).to.include('larder (default)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs the machinery benchmark (plugins and time limits, memory and Redis)', async function () {
    const { code, stdout, stderr } = await run(process.execPath, [
      '--import',
      'tsx',
      'bench/machinery-overhead.ts',
      '--smoke',
    ]);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.include('### memory get (hit), awaited one at a time');
    expect(stdout).to.include('### redis get, 64 concurrent');
    for (const row of [
      'no time limit (timeout: 0)',
      'a no-op postGet hook',
      'a namespace',
      'a per-call time limit',
    ])
      expect(stdout).to.include(row);
  });

  it('the chart script explains its usage when given no report', async function () {
    const { code, stderr } = await run(process.execPath, ['--import', 'tsx', 'bench/chart.ts']);
    expect(code).to.equal(2);
    expect(stderr).to.match(/usage: .*bench:chart/);
  });
});
