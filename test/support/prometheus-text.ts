/** One sample parsed back from Prometheus text exposition. */
export interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The families' types (`# TYPE` lines) and every sample, from exposition text; throws on a bad line. */
export function parsePrometheus(text: string): {
  types: Map<string, string>;
  samples: ParsedSample[];
} {
  const types = new Map<string, string>();
  const samples: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\w+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP \w+ .*$/.test(line)) continue;
    const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const body = sample[2] ?? '';
    const label = /(\w+)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let match = label.exec(body); match !== null; match = label.exec(body)) {
      labels[match[1]!] = match[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed = label.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`bad labels: ${line}`);
    const raw = sample[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`bad value: ${line}`);
    samples.push({ name: sample[1]!, labels, value });
  }
  return { types, samples };
}

/** The value of the one sample named `name` whose labels include `labels` (0 if none). */
export function sampleValue(
  samples: readonly ParsedSample[],
  name: string,
  labels: Record<string, string>,
): number {
  const found = samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}
