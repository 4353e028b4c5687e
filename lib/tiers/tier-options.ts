import { describeValue } from '../describe.js';
import { parseDuration, type Duration } from '../duration.js';
import { checks, checkOptions, type OptionsSchema } from '../options-schema.js';

/** Options of the in-process L1 tier (see docs/tiers.md). */
export interface L1Options {
  /**
   * Most entries kept; the least recently used are evicted beyond it.
   * @default 10_000
   */
  readonly maxSize?: number;
  /**
   * Most bytes kept, counted as the length of each entry's encoded payload (what Redis holds);
   * `0` for no bound. An entry larger than it is not kept.
   * @default 0
   */
  readonly maxBytes?: number;
  /**
   * The longest an entry lives in the L1 (never past its ttl in Redis).
   * @default '1m'
   */
  readonly ttl?: Duration;
  /**
   * `'reference'`: callers share the stored object (as with the memory backend), so they must not
   * mutate it; `'clone'`: each read gets a `structuredClone` of its own.
   * @default 'reference'
   */
  readonly copy?: 'reference' | 'clone';
}

/** How the L1 learns of writes made elsewhere. */
export type InvalidationMode = 'bus' | 'tracking' | 'none';

/** The object form of the `invalidation` option. */
export interface InvalidationOptions {
  readonly type: InvalidationMode;
  /**
   * The bus's pub/sub channel.
   * @default derived from the db, the namespace and the wire version: `larder:inv:1:<db>:<namespace>`
   */
  readonly channel?: string;
  /**
   * Interval of the health-check `PING` on the subscriber connection; a ping unanswered by the
   * next one is a silent break, handled as a gap. `0` or `null` for none.
   * @default '1s'
   */
  readonly healthCheck?: Duration | null;
}

/** The frozen defaults of {@link L1Options}. */
export const L1_DEFAULTS = Object.freeze({
  maxSize: 10_000,
  maxBytes: 0,
  ttl: '1m',
  copy: 'reference',
} as const);

/** The frozen defaults of {@link InvalidationOptions}. */
export const INVALIDATION_DEFAULTS = Object.freeze({ healthCheck: '1s' } as const);

/** The L1's options, checked and with the defaults filled in. */
export interface L1Settings {
  readonly maxSize: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
  readonly copy: 'reference' | 'clone';
}

/** The invalidation's options, checked (`type` undefined: the default for the backend). */
export interface InvalidationSettings {
  readonly type: InvalidationMode | undefined;
  readonly channel: string | undefined;
  readonly healthCheckMs: number;
}

/** The schema of {@link L1Options}, shared by the constructor and config validation. */
export const L1_OPTIONS: OptionsSchema = Object.freeze({
  fields: Object.freeze({
    maxSize: checks.integer(1),
    maxBytes: checks.integer(0),
    ttl: checks.duration({ min: 1, between: 'at least 1 ms' }),
    copy: checks.oneOf('reference', 'clone'),
  }),
});

/** The schema of {@link InvalidationOptions} (its object form). */
export const INVALIDATION_OPTIONS: OptionsSchema = Object.freeze({
  fields: Object.freeze({
    type: checks.oneOf('bus', 'tracking', 'none'),
    channel: checks.string,
    healthCheck: checks.nullable(checks.duration({ between: '0 ms or more' })),
  }),
});

/**
 * The `l1` option read: `true` (the defaults), a number (`maxSize`), or {@link L1Options};
 * `undefined` or `false` for no L1.
 *
 * @throws TypeError or RangeError naming the option at fault.
 */
export function l1SettingsOf(value: unknown): L1Settings | undefined {
  if (value === undefined || value === false) return undefined;
  let options: L1Options;
  if (value === true) options = {};
  else if (typeof value === 'number') options = { maxSize: value };
  else if (typeof value === 'object' && value !== null && !Array.isArray(value)) options = value;
  else
    throw new TypeError(
      `l1 must be true, a maxSize or { maxSize, maxBytes, ttl, copy }; got ${describeValue(value)}`,
    );
  checkOptions(options, L1_OPTIONS, 'l1');
  return {
    maxSize: options.maxSize ?? L1_DEFAULTS.maxSize,
    maxBytes: options.maxBytes ?? L1_DEFAULTS.maxBytes,
    ttlMs: parseDuration(options.ttl ?? L1_DEFAULTS.ttl, 'l1.ttl'),
    copy: options.copy ?? L1_DEFAULTS.copy,
  };
}

/**
 * The `invalidation` option read: a mode, or {@link InvalidationOptions}.
 *
 * @throws TypeError or RangeError naming the option at fault.
 */
export function invalidationSettingsOf(value: unknown): InvalidationSettings {
  let options: Partial<InvalidationOptions>;
  if (value === undefined) options = {};
  else if (typeof value === 'string') options = { type: value as InvalidationMode };
  else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    options = value;
    if ((value as Partial<InvalidationOptions>).type === undefined)
      throw new TypeError("invalidation needs a type: 'bus', 'tracking' or 'none'");
  } else {
    throw new TypeError(
      `invalidation must be 'bus', 'tracking', 'none' or { type, channel, healthCheck }; got ${describeValue(value)}`,
    );
  }
  checkOptions(options, INVALIDATION_OPTIONS, 'invalidation');
  if (options.channel === '') throw new RangeError('invalidation option channel must not be empty');
  const healthCheck =
    options.healthCheck === undefined ? INVALIDATION_DEFAULTS.healthCheck : options.healthCheck;
  return {
    type: options.type,
    channel: options.channel,
    healthCheckMs: healthCheck === null ? 0 : parseDuration(healthCheck, 'invalidation.healthCheck'),
  };
}
