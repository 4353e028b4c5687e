// Draws the benchmark's JSON report as an SVG bar chart: one panel per workload, one bar per
// subject, each bar the subject's speed as a ratio to the workload's reference (1 = as fast as the
// raw floor), then a panel of heap bytes per entry.
//   npm run --silent bench -- --json > results.json
//   npm run --silent bench:chart -- results.json > chart.svg
import { readFileSync } from 'node:fs';
import { formatRatio, type Report } from './harness.js';
import type { SubjectKind } from './subject.js';

const WIDTH = 860;
const LABEL = 250; // the subject names' column
const BAR_AREA = 480;
const ROW = 18;
const HEADING = 28;
const COLOURS: Record<SubjectKind, string> = { larder: '#2f7d4f', raw: '#8a8f98', peer: '#c9893a' };

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function colourOf(kind: SubjectKind | undefined, subject: string): string {
  return COLOURS[kind ?? (subject.startsWith('larder') ? 'larder' : 'raw')];
}

/** The SVG text of a report. */
function chart(report: Report): string {
  const parts: string[] = [];
  let y = 50;
  const workloads = [...new Set(report.results.map((r) => r.workload))];
  const maxRatio = Math.max(1.2, ...report.results.map((r) => r.ratio));
  const scale = BAR_AREA / maxRatio;
  for (const workload of workloads) {
    const rows = report.results.filter((r) => r.workload === workload);
    parts.push(`<text class="heading" x="10" y="${y + 18}">${escape(workload)}</text>`);
    y += HEADING;
    const top = y;
    for (const row of rows) {
      const width = Math.max(1, row.ratio * scale);
      parts.push(
        `<text class="label" x="${LABEL - 8}" y="${y + 13}">${escape(row.subject)}</text>`,
        `<rect class="bar" x="${LABEL}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW - 6}" fill="${colourOf(row.kind, row.subject)}"/>`,
        `<text class="value" x="${(LABEL + width + 6).toFixed(1)}" y="${y + 13}">${formatRatio(row.ratio)}×</text>`,
      );
      y += ROW;
    }
    // The raw floor: a ratio of 1.
    parts.push(`<line class="floor" x1="${LABEL + scale}" y1="${top}" x2="${LABEL + scale}" y2="${y}"/>`);
    y += 8;
  }
  if (report.footprint.length > 0) {
    parts.push(`<text class="heading" x="10" y="${y + 18}">heap bytes per entry (fewer is better)</text>`);
    y += HEADING;
    const most = Math.max(...report.footprint.map((f) => f.bytesPerEntry));
    for (const row of report.footprint) {
      const width = Math.max(1, (Math.max(0, row.bytesPerEntry) / most) * BAR_AREA);
      parts.push(
        `<text class="label" x="${LABEL - 8}" y="${y + 13}">${escape(row.subject)}</text>`,
        `<rect class="bar" x="${LABEL}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW - 6}" fill="${colourOf(row.kind, row.subject)}"/>`,
        `<text class="value" x="${(LABEL + width + 6).toFixed(1)}" y="${y + 13}">${row.bytesPerEntry} B</text>`,
      );
      y += ROW;
    }
  }
  const height = y + 20;
  const { meta } = report;
  const title = `larder benchmark (${meta.mode}), ${meta.date.slice(0, 10)}: Node ${meta.node}, ${meta.machine}, redis ${meta.redis}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    '<style>.heading{font-weight:600;font-size:13px}.label{text-anchor:end}.value{fill:#333}.floor{stroke:#333;stroke-dasharray:3 3}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text class="heading" x="10" y="22">${escape(title)}</text>`,
    `<text x="10" y="40" fill="#555">1× (dashed line) = as fast as the workload's raw reference; green: larder, grey: raw floors, orange: peer libraries</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: npm run --silent bench:chart -- <results.json>\n');
  process.exitCode = 2;
} else {
  process.stdout.write(chart(JSON.parse(readFileSync(path, 'utf8')) as Report));
}
