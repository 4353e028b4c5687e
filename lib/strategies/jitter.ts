import { describeValue } from '../describe.js';
import { parseDuration, type Duration } from '../duration.js';

/**
 * How much a ttl is spread: a share of it (`'10%'`) or a fixed amount (`'30s'`, `5000`). Each ttl
 * written is drawn uniformly within ± that amount of the ttl asked, so entries written together
 * (a deploy's warm-up, a batch) do not all expire in the same instant.
 */
export type Jitter = `${number}%` | Duration;

/** A source of uniform numbers in [0, 1), as `Math.random`. Inject one to test jittered ttls. */
export type RandomSource = () => number;

/** A checked jitter: a fraction of the ttl, or milliseconds. `undefined` stands for none. */
export interface JitterSpread {
  readonly fraction: number;
  readonly ms: number;
}

const PERCENT = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/;

/**
 * Parses a {@link Jitter}; `0`, `'0%'` and `undefined` are no jitter.
 *
 * @throws RangeError for a negative, unparsable amount, or a share of 100 % or more (a ttl spread
 *   down to nothing).
 */
export function parseJitter(value: unknown, name = 'jitter'): JitterSpread | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const match = PERCENT.exec(value);
    if (match !== null) {
      const percent = Number(match[1]);
      if (!(percent < 100)) {
        throw new RangeError(`${name} must be below 100%; got ${describeValue(value)}`);
      }
      return percent === 0 ? undefined : { fraction: percent / 100, ms: 0 };
    }
  }
  const ms = parseDuration(value, name);
  if (ms === Infinity) throw new RangeError(`${name} must be finite; got ${describeValue(value)}`);
  return ms === 0 ? undefined : { fraction: 0, ms };
}

/**
 * `ttlMs` spread uniformly within ± the jitter, never below 1 ms. A ttl of 0 (never expires)
 * stays 0.
 */
export function jitteredTtl(ttlMs: number, spread: JitterSpread, random: RandomSource): number {
  if (ttlMs === 0) return 0;
  const amount = spread.fraction > 0 ? ttlMs * spread.fraction : spread.ms;
  return Math.max(1, Math.round(ttlMs + (2 * random() - 1) * amount));
}

/**
 * Checks a random source option.
 *
 * @throws TypeError if it is not a function.
 */
export function randomSourceOf(value: unknown, name = 'random'): RandomSource | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw new TypeError(
      `${name} must be a function returning numbers in [0, 1); got ${describeValue(value)}`,
    );
  }
  return value as RandomSource;
}
