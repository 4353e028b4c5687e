// A small benchmark harness. The machine is noisy (a shared VM), so:
// - each cell is calibrated first to take about `roundMs` per round (which also warms the JIT);
// - cells run in interleaved rounds (A B C, B C A, C A B …: the order rotates so no subject always
//   runs right after the same neighbour), and the median round is reported;
// - ratios are paired: taken within each round against the reference, then the median of those.

import type { SubjectKind } from './subject.js';

/** One thing measured: `run(ops)` performs `ops` operations and may return per-op latencies (ms). */
export interface Cell {
  readonly workload: string;
  readonly subject: string;
  /** What the subject is, for the chart's colours. */
  readonly kind?: SubjectKind;
  /** A subject the workload's ratios are taken against (the fastest one, when there are several). */
  readonly reference?: boolean;
  /**
   * Another subject of the same workload this one is also compared with (a namespaced cache with
   * the unprefixed one, say): a second paired ratio, beside the one to the reference.
   */
  readonly versus?: string;
  run(ops: number): Promise<number[] | void>;
}

/** How long to measure: `rounds` rounds of about `roundMs` per cell, or a fixed op count (smoke). */
export interface Plan {
  readonly rounds: number;
  readonly roundMs: number;
  /** Skips calibration and runs exactly this many operations per round. */
  readonly fixedOps?: number;
}

/** What one cell measured. */
/**
 * The plan the command line asks for: `--smoke` (one round of `smokeOps` operations, for CI),
 * `--quick` (7 short rounds) or a full run (25 rounds of 120 ms).
 */
export function planFromArgs(argv: readonly string[], smokeOps = 100): Plan {
  if (argv.includes('--smoke')) return { rounds: 1, roundMs: 0, fixedOps: smokeOps };
  return argv.includes('--quick') ? { rounds: 7, roundMs: 40 } : { rounds: 25, roundMs: 120 };
}

export interface CellResult {
  readonly workload: string;
  readonly subject: string;
  readonly kind?: SubjectKind;
  readonly reference: boolean;
  /** Operations per round, as calibrated. */
  readonly ops: number;
  readonly opsPerSecond: number;
  readonly nsPerOp: number;
  readonly p50Us?: number;
  readonly p99Us?: number;
  /**
   * ops/s against the workload's reference (the fastest reference subject by median): the median
   * over rounds of the ratio within each round.
   */
  readonly ratio: number;
  /** The paired ratio to the cell's `versus` subject, taken as `ratio` is. */
  readonly versus?: { readonly subject: string; readonly ratio: number };
  readonly rounds: readonly number[];
}

/** Times `ops` operations of the cell. */
async function timed(cell: Cell, ops: number): Promise<{ seconds: number; perOp: number[] | void }> {
  const started = performance.now();
  const perOp = await cell.run(ops);
  return { seconds: (performance.now() - started) / 1_000, perOp };
}

/** Doubles the op count until a run takes a quarter of the round, then scales to a whole round. */
async function calibrate(cell: Cell, plan: Plan): Promise<number> {
  if (plan.fixedOps !== undefined) return plan.fixedOps;
  const target = plan.roundMs / 1_000;
  for (let ops = 8; ; ops *= 2) {
    const { seconds } = await timed(cell, ops);
    if (seconds >= target / 4) return Math.max(1, Math.round((ops * target) / seconds));
  }
}

/** Measures every cell in `plan.rounds` interleaved rounds and reports medians. */
export async function measure(cells: readonly Cell[], plan: Plan): Promise<CellResult[]> {
  const ops: number[] = [];
  for (const cell of cells) ops.push(await calibrate(cell, plan));
  const samples = cells.map(() => [] as number[]);
  const latencies = cells.map(() => [] as number[]);
  const workloads = [...new Set(cells.map((cell) => cell.workload))].map((workload) =>
    cells.flatMap((cell, i) => (cell.workload === workload ? [i] : [])),
  );
  for (let round = 0; round < plan.rounds; round++) {
    for (const members of workloads) {
      for (let k = 0; k < members.length; k++) {
        const i = members[(k + round) % members.length]!;
        const { seconds, perOp } = await timed(cells[i]!, ops[i]!);
        samples[i]!.push(ops[i]! / seconds);
        if (perOp) latencies[i]!.push(...perOp);
      }
    }
  }
  const medians = samples.map(median);
  return cells.map((cell, i) => {
    const opsPerSecond = medians[i]!;
    const sorted = [...latencies[i]!].sort((a, b) => a - b);
    const peers = cells.flatMap((other, j) => (other.workload === cell.workload ? [j] : []));
    const references = peers.filter((j) => cells[j]!.reference === true);
    // The reference is the faster candidate by its median over all rounds (taking the faster of
    // two per round would favour whichever got lucky, and bias every ratio down). Ratios are
    // paired: each round's figure against that reference's figure in the same round, then the
    // median. Cells of one round run back to back, so a slow spell of the machine weighs on both
    // sides of a ratio instead of on one.
    const candidates = references.length > 0 ? references : peers.slice(0, 1);
    const reference = candidates.reduce((best, j) => (medians[j]! > medians[best]! ? j : best));
    const pairedWith = (j: number): number =>
      median(samples[i]!.map((sample, round) => sample / samples[j]![round]!));
    const versus = peers.find((j) => cell.versus !== undefined && cells[j]!.subject === cell.versus);
    if (cell.versus !== undefined && versus === undefined) {
      throw new Error(`${cell.workload} / ${cell.subject}: no subject ${cell.versus} to compare with`);
    }
    return {
      workload: cell.workload,
      subject: cell.subject,
      ...(cell.kind === undefined ? {} : { kind: cell.kind }),
      reference: cell.reference === true,
      ops: ops[i]!,
      opsPerSecond,
      nsPerOp: 1e9 / opsPerSecond,
      ...(sorted.length > 0
        ? { p50Us: percentile(sorted, 0.5) * 1_000, p99Us: percentile(sorted, 0.99) * 1_000 }
        : {}),
      ratio: pairedWith(reference),
      ...(versus === undefined ? {} : { versus: { subject: cell.versus!, ratio: pairedWith(versus) } }),
      rounds: samples[i]!,
    };
  });
}

/** What `npm run bench -- --json` prints, and what `--report=<file>` and the chart read back. */
export interface Report {
  readonly meta: {
    readonly date: string;
    readonly node: string;
    readonly machine: string;
    readonly redis: string;
    readonly mode: string;
    readonly rounds: number;
    readonly roundMs: number;
  };
  readonly results: readonly CellResult[];
  readonly footprint: readonly {
    readonly subject: string;
    readonly kind: SubjectKind;
    readonly bytesPerEntry: number;
  }[];
  /** How many entries the footprint was measured over. */
  readonly footprintEntries: number;
}

/** A report as markdown: a heading line, a table per workload, and the heap footprint. */
export function reportToMarkdown(report: Report): string {
  const { meta } = report;
  const out = [
    `Benchmark (${meta.mode}): ${meta.date}, Node ${meta.node}, ${meta.machine}, redis ${meta.redis}; medians of ${meta.rounds} interleaved rounds`,
    '',
    toMarkdown(report.results),
  ];
  if (report.footprint.length > 0) {
    out.push(
      `### heap per entry (${report.footprintEntries.toLocaleString('en')} small objects)`,
      '',
      '| subject | bytes/entry | MB per 100k entries |',
      '|---|---:|---:|',
      ...report.footprint.map(
        (row) =>
          `| ${row.subject} | ${row.bytesPerEntry} | ${((row.bytesPerEntry * 100_000) / 1e6).toFixed(1)} |`,
      ),
      '',
    );
  }
  return out.join('\n');
}

/**
 * A markdown table per workload, with each subject's ratio to the workload's reference (the faster
 * one by median, when a workload has several, as Redis has plain and auto-pipelined ioredis).
 */
export function toMarkdown(results: readonly CellResult[]): string {
  const out: string[] = [];
  for (const workload of [...new Set(results.map((r) => r.workload))]) {
    const rows = results.filter((r) => r.workload === workload);
    const references = rows.filter((r) => r.reference);
    // The reference in use scores exactly 1 against itself.
    const chosen = references.find((r) => r.ratio === 1) ?? references[0] ?? rows[0]!;
    const against = references.length > 1 ? `${chosen.subject} (the faster raw)` : chosen.subject;
    const latency = rows.some((r) => r.p50Us !== undefined);
    // A second ratio column when some rows are also compared with another subject: headed by
    // that subject when it is the same for all of them, or naming it in each cell otherwise.
    const versus = [...new Set(rows.flatMap((r) => (r.versus ? [r.versus.subject] : [])))];
    const second = versus.length === 1 ? ` × ${versus[0]} |` : versus.length > 1 ? ' paired ratio |' : '';
    out.push(`### ${workload}`, '');
    out.push(`| subject | ops/s | ns/op |${latency ? ' p50 µs | p99 µs |' : ''} × ${against} |${second}`);
    out.push(`|---|---:|---:|${latency ? '---:|---:|' : ''}---:|${second === '' ? '' : '---:|'}`);
    for (const row of rows) {
      const ratio = formatRatio(row.ratio);
      const lat = latency ? ` ${row.p50Us?.toFixed(1) ?? '—'} | ${row.p99Us?.toFixed(1) ?? '—'} |` : '';
      const paired =
        second === ''
          ? ''
          : row.versus === undefined
            ? ' — |'
            : ` ${formatRatio(row.versus.ratio)}${versus.length > 1 ? ` × ${row.versus.subject}` : ''} |`;
      out.push(
        `| ${row.subject} | ${Math.round(row.opsPerSecond).toLocaleString('en')} | ${Math.round(row.nsPerOp).toLocaleString('en')} |${lat} ${ratio} |${paired}`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** A ratio with two decimals, or three below 0.1, so that a peer 200 times slower is not "0.00". */
export function formatRatio(ratio: number): string {
  return ratio.toFixed(ratio < 0.1 ? 3 : 2);
}
