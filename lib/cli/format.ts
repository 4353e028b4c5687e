import { inspect } from 'node:util';

/** A duration in ms as people read it: `950 ms`, `42 s`, `29 m 58 s`, `3 d 4 h`. */
export function formatDuration(ms: number): string {
  if (ms === Infinity) return 'never expires';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0 && parts.length < 2) {
      parts.push(`${count} ${unit}`);
      rest -= count * size;
    }
  }
  return parts.join(' ');
}

/** A byte count as people read it. */
export function formatBytes(bytes: number): string {
  if (bytes < 1_024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1_024;
  let unit = 0;
  while (value >= 1_024 && unit < units.length - 1) {
    value /= 1_024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** A decoded value for a person: `util.inspect`, whole depth, colours on a terminal. */
export function formatValue(value: unknown, colors: boolean): string {
  return inspect(value, {
    depth: null,
    colors,
    breakLength: 100,
    maxArrayLength: 200,
    maxStringLength: 10_000,
  });
}

/** JSON for scripts, keeping what JSON cannot hold readable: bigints as strings, Map/Set as object/array, bytes as base64. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString();
    if (item instanceof Map) return Object.fromEntries([...item].map(([k, v]) => [String(k), v]));
    if (item instanceof Set) return [...item];
    if (item instanceof Uint8Array) return Buffer.from(item).toString('base64');
    return item;
  });
}
