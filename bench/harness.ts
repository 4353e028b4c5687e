// A small benchmark harness: cells measured in interleaved rounds (A B C A B C …) so that a noisy
// machine slows every cell alike, with the median round reported.

/** One thing measured: `run` performs `ops` operations and may return per-operation latencies. */
export interface Cell {
  readonly workload: string;
  readonly subject: string;
  /** The subject the workload's ratios are taken against. */
  readonly reference?: boolean;
  readonly ops: number;
  run(): Promise<number[] | void>;
}

/** What one cell measured. */
export interface CellResult {
  readonly workload: string;
  readonly subject: string;
  readonly reference: boolean;
  readonly opsPerSecond: number;
  readonly nsPerOp: number;
  readonly p50Us?: number;
  readonly p99Us?: number;
  readonly rounds: readonly number[];
}

/** Measures every cell `rounds` times, interleaved, and reports medians. */
export async function measure(cells: readonly Cell[], rounds: number): Promise<CellResult[]> {
  const samples = cells.map(() => [] as number[]);
  const latencies = cells.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, cell] of cells.entries()) {
      const started = performance.now();
      const perOp = await cell.run();
      const seconds = (performance.now() - started) / 1_000;
      samples[i]!.push(cell.ops / seconds);
      if (perOp) latencies[i]!.push(...perOp);
    }
  }
  return cells.map((cell, i) => {
    const opsPerSecond = median(samples[i]!);
    const sorted = [...latencies[i]!].sort((a, b) => a - b);
    return {
      workload: cell.workload,
      subject: cell.subject,
      reference: cell.reference === true,
      opsPerSecond,
      nsPerOp: 1e9 / opsPerSecond,
      ...(sorted.length > 0
        ? { p50Us: percentile(sorted, 0.5) * 1_000, p99Us: percentile(sorted, 0.99) * 1_000 }
        : {}),
      rounds: samples[i]!,
    };
  });
}

/** A markdown table per workload, with each subject's ratio to the workload's reference. */
export function toMarkdown(results: readonly CellResult[]): string {
  const out: string[] = [];
  for (const workload of [...new Set(results.map((r) => r.workload))]) {
    const rows = results.filter((r) => r.workload === workload);
    const reference = rows.find((r) => r.reference) ?? rows[0]!;
    const latency = rows.some((r) => r.p50Us !== undefined);
    out.push(`### ${workload}`, '');
    out.push(`| subject | ops/s | ns/op |${latency ? ' p50 µs | p99 µs |' : ''} × ${reference.subject} |`);
    out.push(`|---|---:|---:|${latency ? '---:|---:|' : ''}---:|`);
    for (const row of rows) {
      const ratio = (row.opsPerSecond / reference.opsPerSecond).toFixed(2);
      const lat = latency ? ` ${row.p50Us?.toFixed(1) ?? '—'} | ${row.p99Us?.toFixed(1) ?? '—'} |` : '';
      out.push(
        `| ${row.subject} | ${Math.round(row.opsPerSecond).toLocaleString('en')} | ${Math.round(row.nsPerOp).toLocaleString('en')} |${lat} ${ratio} |`,
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
