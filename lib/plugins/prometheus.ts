import type { MetricsStats } from './metrics.js';

// The Prometheus text exposition format (version 0.0.4), as much of it as MetricsPlugin writes:
// counters, gauges and histograms with labels. No client library needed.

/** Label names to values, in the order they are written. */
export type Labels = Readonly<Record<string, string>>;

/** One metric family: a name, its help line, its type, and its samples. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly samples: readonly Sample[];
}

/** One sample line: `name{labels} value`, with `name` the family's or a histogram suffix of it. */
export interface Sample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

/** The content type a `/metrics` endpoint answers with. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The families as exposition text; a family with no samples is left out. */
export function exposition(families: readonly MetricFamily[]): string {
  let text = '';
  for (const family of families) {
    if (family.samples.length === 0) continue;
    text += `# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`;
    text += `# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) {
      text += `${sample.name}${labelText(sample.labels)} ${numberText(sample.value)}\n`;
    }
  }
  return text;
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${escapeValue(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function numberText(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}

/** A bucket bound as the `le` label writes it. */
export function boundText(bound: number): string {
  return numberText(bound);
}

/** MetricsPlugin's figures as exposition text, with the metric names docs/telemetry.md lists. */
export function metricsExposition(stats: MetricsStats): string {
  const histogram: Sample[] = [];
  const errors: Sample[] = [];
  for (const op of stats.operations) {
    const labels = { cache: op.cache, op: op.op };
    for (const { le, count } of op.buckets)
      histogram.push({
        name: 'larder_cache_operation_seconds_bucket',
        labels: { ...labels, le: boundText(le) },
        value: count,
      });
    histogram.push({ name: 'larder_cache_operation_seconds_sum', labels, value: op.sumSeconds });
    histogram.push({ name: 'larder_cache_operation_seconds_count', labels, value: op.count });
    if (op.errors > 0)
      errors.push({
        name: 'larder_cache_errors_total',
        labels: { ...labels, fallback: 'false' },
        value: op.errors,
      });
    if (op.fallbacks > 0)
      errors.push({
        name: 'larder_cache_errors_total',
        labels: { ...labels, fallback: 'true' },
        value: op.fallbacks,
      });
  }
  const families: MetricFamily[] = [
    {
      name: 'larder_cache_requests_total',
      help: 'Cache reads by result (hit, miss, stale) and the tier that answered; multi-key reads count each key.',
      type: 'counter',
      samples: stats.requests.map(({ count, ...row }) => ({
        name: 'larder_cache_requests_total',
        labels: row as unknown as Labels,
        value: count,
      })),
    },
    {
      name: 'larder_cache_operation_seconds',
      help: 'Duration of cache operations, in seconds.',
      type: 'histogram',
      samples: histogram,
    },
    {
      name: 'larder_cache_errors_total',
      help: 'Failed cache operations; fallback="true" for failures safe mode answered for.',
      type: 'counter',
      samples: errors,
    },
    {
      name: 'larder_l1_entries',
      help: 'Entries held in the in-process L1.',
      type: 'gauge',
      samples: stats.l1.map(({ cache, entries }) => ({
        name: 'larder_l1_entries',
        labels: { cache },
        value: entries,
      })),
    },
    {
      name: 'larder_l1_evictions_total',
      help: 'Entries the L1 dropped, by reason.',
      type: 'counter',
      samples: stats.l1.flatMap(({ cache, evictions }) =>
        Object.entries(evictions).map(([reason, value]) => ({
          name: 'larder_l1_evictions_total',
          labels: { cache, reason },
          value,
        })),
      ),
    },
    {
      name: 'larder_invalidation_messages_total',
      help: 'Invalidation messages sent (direction="out") and received (direction="in").',
      type: 'counter',
      samples: stats.invalidations.map(({ count, ...labels }) => ({
        name: 'larder_invalidation_messages_total',
        labels,
        value: count,
      })),
    },
    {
      name: 'larder_invalidation_gaps_total',
      help: 'Times the invalidation subscriber connection went down.',
      type: 'counter',
      samples: stats.gaps.map(({ count, ...labels }) => ({
        name: 'larder_invalidation_gaps_total',
        labels,
        value: count,
      })),
    },
  ];
  return exposition(families);
}
