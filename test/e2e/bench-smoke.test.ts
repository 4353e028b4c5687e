import { expect } from 'chai';
import { run } from '../support/run.js';

// Runs the benchmark with tiny op counts so it never rots. It asserts what was measured, never
// how fast: speed targets are checked with `npm run bench`, not in tests.
describe('the benchmark (smoke run)', function () {
  this.timeout(120_000);

  it('runs every workload for every subject, round-tripping values first, and reports JSON', async function () {
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
      results: { workload: string; subject: string; opsPerSecond: number; rounds: number[] }[];
      footprint: { subject: string }[];
    };
    expect(report.meta.mode).to.equal('smoke');
    const workloads = [...new Set(report.results.map((r) => r.workload))];
    expect(workloads).to.deep.equal([
      'memory get (hit)',
      'memory get (miss)',
      'cached() hit',
      'memory set',
      'redis get, sequential',
      'redis get, 64 concurrent',
      'redis set, 64 concurrent',
      'redis multiGet of 100 keys',
    ]);
    for (const result of report.results) {
      expect(result.opsPerSecond, `${result.workload} / ${result.subject}`).to.be.a('number').and.above(0);
      expect(result.rounds).to.have.length(1);
    }
    expect(report.results.filter((r) => r.subject.startsWith('larder'))).to.have.length(
      2 + 1 + 1 + 3 + 3 + 3 + 2,
    );
    expect(report.footprint.map((f) => f.subject)).to.deep.equal(['Map', 'lru-cache', 'larder memory']);
  });
});
