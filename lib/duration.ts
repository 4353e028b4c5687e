import { describeValue } from './describe.js';

/**
 * A length of time: milliseconds as a number, or a string with a unit —
 * `'250ms'`, `'30s'`, `'5m'`, `'2h'`, `'1d'`, `'1w'` (a bare numeric string is milliseconds).
 */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
});

const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d|w)?\s*$/i;

/**
 * Parses a {@link Duration} into whole milliseconds (fractions round up, so `0.2` → `1`).
 *
 * @param value - the duration to parse.
 * @param name - the option's name, used in the error message.
 * @returns a non-negative integer number of milliseconds; `Infinity` stays `Infinity`.
 * @throws RangeError if the value is negative, NaN, unparsable or not a number/string.
 */
export function parseDuration(value: unknown, name: string): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const match = DURATION_PATTERN.exec(value);
    if (match === null) {
      throw new RangeError(
        `${name} must be a duration like 250, '250ms', '30s', '5m', '2h' or '1d'; got ${describeValue(value)}`,
      );
    }
    ms = Number(match[1]) * UNIT_MS[(match[2] ?? 'ms').toLowerCase()]!;
  } else {
    throw new RangeError(
      `${name} must be a number of milliseconds or a duration string; got ${describeValue(value)}`,
    );
  }
  if (Number.isNaN(ms) || ms < 0) {
    throw new RangeError(`${name} must be a non-negative duration; got ${describeValue(value)}`);
  }
  if (ms === Infinity) return ms;
  if (ms > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`${name} is too long; got ${describeValue(value)}`);
  }
  return Math.ceil(ms);
}

/**
 * Parses a ttl. `0`, `null` and `Infinity` all mean "never expires" and come back as `0`,
 * the backends' encoding of "no expiry".
 *
 * @returns milliseconds until expiry, or `0` for never.
 * @throws RangeError as {@link parseDuration}.
 */
export function parseTtl(value: Duration | null, name = 'ttl'): number {
  // Per-call ttls are parsed on every write: whole numbers and strings seen before cost a check
  // or a lookup, not a regular expression.
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const known = PARSED_TTLS.get(value);
    if (known !== undefined) return known;
  }
  if (value === null) return 0;
  const parsed = parseDuration(value, name);
  const ms = parsed === Infinity ? 0 : parsed;
  if (typeof value === 'string' && PARSED_TTLS.size < PARSED_TTLS_LIMIT) PARSED_TTLS.set(value, ms);
  return ms;
}

// Applications write with a handful of duration strings; the bound only guards against one that
// builds them from data.
const PARSED_TTLS = new Map<string, number>();
const PARSED_TTLS_LIMIT = 256;

/**
 * Parses a timeout. `0`, `null` and `Infinity` mean "no time limit" and come back as `0`.
 *
 * @throws RangeError as {@link parseDuration}.
 */
export function parseTimeout(value: Duration | null, name = 'timeout'): number {
  return parseTtl(value, name);
}
