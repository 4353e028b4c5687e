import { describeValue } from './describe.js';
import { didYouMean } from './did-you-mean.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';

/**
 * What is wrong with one option's value. The same problem reads
 * `caches.sessions.backend.maxSize: expected an integer from 1 up; got 0` in a config, and
 * `MemoryBackend option maxSize: expected an integer from 1 up; got 0` from a constructor.
 */
export interface OptionProblem {
  /** What was expected and what was found: `expected a string; got 5`. */
  readonly message: string;
  /**
   * What a constructor throws: `TypeError` for a value of the wrong kind (`'type'`), `RangeError`
   * for one out of range (`'range'`), `ConfigError` for a value that is a small config of its own,
   * such as a URL (`'config'`). A config always reports a `ConfigError`.
   */
  readonly error: 'type' | 'range' | 'config';
  /** Where inside the value the problem is (`.db` of a URL), appended to the option's path. */
  readonly at?: string;
  /** The error that revealed the problem, if any. */
  readonly cause?: unknown;
}

/** Checks one option's value (never `undefined`, which stands for the default): nothing if it is fine. */
export type OptionCheck = (value: unknown) => OptionProblem | undefined;

/**
 * The options a component takes, one check per name. A component's constructor and the config
 * validation both read it (through {@link checkOptions} and {@link validateOptions}), so a value is
 * refused the same way, with the same words, wherever it is given.
 *
 * @example
 * ```ts
 * const DYNAMO_OPTIONS: OptionsSchema = {
 *   fields: { table: checks.string, readCapacity: checks.integer(1) },
 * };
 * ```
 */
export interface OptionsSchema {
  /** The component's own options, checked wherever they are given. */
  readonly fields: Readonly<Record<string, OptionCheck>>;
  /**
   * Options of a library underneath, handed to it by their own names (ioredis' for the Redis
   * backend). A config may use only these beyond `fields`, and they are checked there, as a config
   * must fail when it is set, never later. Code may give any name, handed on unchecked for the
   * library to judge, as it may know more than this list does.
   */
  readonly passThrough?: Readonly<Record<string, OptionCheck>>;
  /**
   * Fields that, once named, must hold a value, each with a hint for when it does not: an
   * `undefined` there is refused instead of read as the default, because the default can be the
   * unsafe choice (`secret: process.env.CACHE_SECRET` with the variable unset must not mean
   * unsigned payloads). Leaving the field out still means the default.
   */
  readonly definedIfGiven?: Readonly<Record<string, string>>;
}

/** The schema of a component that takes no options. */
export const NO_OPTIONS: OptionsSchema = Object.freeze({ fields: Object.freeze({}) });

const typeProblem = (message: string): OptionProblem => ({ message, error: 'type' });
const rangeProblem = (message: string): OptionProblem => ({ message, error: 'range' });

/**
 * The checks the built-in schemas are made of, for schemas of your own. Each answers nothing for
 * a good value, or an {@link OptionProblem}.
 */
export const checks = Object.freeze({
  /** Any value: for options checked elsewhere (or by the library they are handed to). */
  anything: ((): undefined => undefined) as OptionCheck,
  string: ((value) =>
    typeof value === 'string'
      ? undefined
      : typeProblem(`expected a string; got ${describeValue(value)}`)) as OptionCheck,
  boolean: ((value) =>
    typeof value === 'boolean'
      ? undefined
      : typeProblem(`expected true or false; got ${describeValue(value)}`)) as OptionCheck,
  object: ((value) =>
    typeof value === 'object' && value !== null
      ? undefined
      : typeProblem(`expected an object; got ${describeValue(value)}`)) as OptionCheck,
  function: ((value) =>
    typeof value === 'function'
      ? undefined
      : typeProblem(`expected a function; got ${describeValue(value)}`)) as OptionCheck,
  /** A safe integer from `min` to `max`. */
  integer(min: number, max = Number.MAX_SAFE_INTEGER): OptionCheck {
    const range = max === Number.MAX_SAFE_INTEGER ? `from ${min} up` : `from ${min} to ${max}`;
    return (value) =>
      Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
        ? undefined
        : rangeProblem(`expected an integer ${range}; got ${describeValue(value)}`);
  },
  /** One of a few values, compared with `===`. */
  oneOf(...allowed: readonly unknown[]): OptionCheck {
    const listed = allowed
      .map((value) => (typeof value === 'string' ? JSON.stringify(value) : String(value)))
      .join(', ');
    return (value) =>
      allowed.includes(value)
        ? undefined
        : rangeProblem(`expected one of ${listed}; got ${describeValue(value)}`);
  },
  /**
   * A {@link Duration}: milliseconds or a string such as `'30s'`, within `min`…`max` ms if given
   * (`between` says the bounds in words: `'between 1 ms and 24.8 days'`).
   */
  duration(
    bounds: { readonly min?: number; readonly max?: number; readonly between?: string } = {},
  ): OptionCheck {
    const { min = 0, max = Infinity } = bounds;
    const between = bounds.between ?? `between ${min} and ${max} ms`;
    return (value) => {
      let ms: number;
      try {
        ms = parseDuration(value, '');
      } catch (error) {
        return rangeProblem((error as Error).message.trimStart());
      }
      return ms >= min && ms <= max
        ? undefined
        : rangeProblem(`must be ${between}; got ${describeValue(value)}`);
    };
  },
  /** A value any of `alternatives` accepts; otherwise the first one's problem. */
  either(...alternatives: readonly OptionCheck[]): OptionCheck {
    return (value) => {
      let first: OptionProblem | undefined;
      for (const check of alternatives) {
        const problem = check(value);
        if (problem === undefined) return undefined;
        first ??= problem;
      }
      return first;
    };
  },
  /** `null`, or a value `check` accepts. */
  nullable(check: OptionCheck): OptionCheck {
    return (value) => (value === null ? undefined : check(value));
  },
});

/**
 * Checks the options a constructor was given against its schema. `undefined` options (and
 * `undefined` values) stand for the defaults.
 *
 * @param owner - the class, for messages: `'MemoryBackend'`.
 * @throws TypeError for options that are not an object, an unknown option (naming the closest known
 *   one: `unknown MemoryBackend option "maxSzie"; did you mean "maxSize"?`) or a value of the wrong
 *   kind; RangeError for a value out of range; ConfigError, with the option's `path`, for a bad
 *   value that has parts of its own (a URL).
 * @example
 * ```ts
 * constructor(options: DynamoBackendOptions = {}) {
 *   checkOptions(options, DYNAMO_OPTIONS, 'DynamoBackend');
 * }
 * ```
 */
export function checkOptions(options: unknown, schema: OptionsSchema, owner: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${owner} options must be an object; got ${describeValue(options)}`);
  }
  for (const [name, value] of Object.entries(options)) {
    const check = fieldOf(schema.fields, name);
    if (check === undefined) {
      if (schema.passThrough !== undefined) continue;
      throw new TypeError(unknownOption(name, `${owner} option`, Object.keys(schema.fields)));
    }
    const undefinedHint = value === undefined ? hintOf(schema, name) : undefined;
    if (undefinedHint !== undefined)
      throw new TypeError(`${owner} option ${name} is undefined — ${undefinedHint}`);
    const problem = value === undefined ? undefined : check(value);
    if (problem === undefined) continue;
    const path = `${name}${problem.at ?? ''}`;
    const message = `${owner} option ${path}: ${problem.message}`;
    const cause = problem.cause === undefined ? undefined : { cause: problem.cause };
    if (problem.error === 'config') throw new ConfigError(message, { path, ...cause });
    throw problem.error === 'range' ? new RangeError(message, cause) : new TypeError(message, cause);
  }
}

/**
 * Checks the options of a config entry against a schema.
 *
 * @param path - where the options sit: `caches.sessions.backend`.
 * @param what - what an option is called in messages: `memory backend option`.
 * @throws ConfigError whose message starts with the path of the option at fault, and whose `path` is it.
 */
export function validateOptions(
  options: Readonly<Record<string, unknown>>,
  schema: OptionsSchema,
  path: string,
  what: string,
): void {
  for (const [name, value] of Object.entries(options)) {
    const check = fieldOf(schema.fields, name) ?? fieldOf(schema.passThrough ?? {}, name);
    if (check === undefined) {
      const known = [...Object.keys(schema.fields), ...Object.keys(schema.passThrough ?? {})];
      const at = `${path}.${name}`;
      throw new ConfigError(`${at}: ${unknownOption(name, what, known)}`, { path: at });
    }
    const undefinedHint = value === undefined ? hintOf(schema, name) : undefined;
    if (undefinedHint !== undefined) {
      const at = `${path}.${name}`;
      throw new ConfigError(`${at}: ${name} is undefined — ${undefinedHint}`, { path: at });
    }
    const problem = value === undefined ? undefined : check(value);
    if (problem === undefined) continue;
    const at = `${path}.${name}${problem.at ?? ''}`;
    throw new ConfigError(`${at}: ${problem.message}`, { path: at, cause: problem.cause });
  }
}

function hintOf(schema: OptionsSchema, name: string): string | undefined {
  return schema.definedIfGiven !== undefined && Object.hasOwn(schema.definedIfGiven, name)
    ? schema.definedIfGiven[name]
    : undefined;
}

// Own entries only: an option named `constructor` or `toString` is unknown, not a check.
function fieldOf(table: Readonly<Record<string, OptionCheck>>, name: string): OptionCheck | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/**
 * Refuses an options object that names anything but `known`: a typo must not be taken for the
 * default (`namepsace` would let `clear()` empty a whole database). For the options that are
 * checked one by one in code (the cache's, cached()'s); components use {@link checkOptions}.
 *
 * @throws TypeError naming the unknown option and the closest known one.
 */
export function refuseUnknownOptions(options: object, known: readonly string[], owner: string): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new TypeError(unknownOption(name, `${owner} option`, known));
  }
}

function unknownOption(name: string, what: string, known: readonly string[]): string {
  const guess = didYouMean(name, known);
  if (guess !== undefined) return `unknown ${what} "${name}"; did you mean "${guess}"?`;
  if (known.length === 0) return `unknown ${what} "${name}"; it takes none`;
  return known.length <= 12
    ? `unknown ${what} "${name}"; known: ${known.join(', ')}`
    : `unknown ${what} "${name}"`;
}
