import type { ComponentKind } from './component.js';
import {
  invalidationSettingsOf,
  l1SettingsOf,
  type InvalidationMode,
  type InvalidationOptions,
  type L1Options,
} from './tiers/tier-options.js';
import { describeValue } from './describe.js';
import { didYouMean } from './did-you-mean.js';
import type { Duration } from './duration.js';
import { ConfigError } from './errors.js';
import type { ComponentTypes } from './factory.js';
import { checks, validateOptions, type OptionCheck, type OptionsSchema } from './options-schema.js';
import { parseJitter, type Jitter } from './strategies/jitter.js';
import { aliasFromUrl } from './url.js';

export { didYouMean } from './did-you-mean.js';

/** A plugin, serializer or backend named in a config, with its options. */
export type ComponentConfig<Type extends string = string> =
  Type | ({ readonly type: Type } & Readonly<Record<string, unknown>>);

/** One cache in a config: a URL string, or an object. */
export type AliasConfig =
  | string
  | {
      /** A backend type name (built in or registered), or `{ type, ...options }`. @default 'memory' */
      readonly backend?: ComponentConfig;
      /** `'json'`, `'msgpack'`, … or `{ type, compress?, secret?, … }`. @default the backend's */
      readonly serializer?: ComponentConfig;
      readonly namespace?: string;
      readonly version?: string | number;
      readonly ttl?: Duration | null;
      /** Spreads every write's ttl: `'10%'` of it, or a duration. */
      readonly jitter?: Jitter;
      readonly timeout?: Duration | null;
      readonly safe?: boolean;
      /** An L1 in front of the backend: `true`, a `maxSize`, or `{ maxSize, maxBytes, ttl, copy }`. */
      readonly l1?: L1Options | boolean | number;
      /** `'bus'`, `'tracking'`, `'none'` or `{ type, channel, healthCheck }`. */
      readonly invalidation?: InvalidationMode | InvalidationOptions;
      /** `'hit-miss-ratio'`, `'timing'`, `'metrics'`, a registered name, or `{ type, ...options }`. */
      readonly plugins?: readonly ComponentConfig[];
    };

/** A whole config: alias name → alias. `default` may be left out (an in-memory cache). */
export type CachesConfig = Readonly<Record<string, AliasConfig>>;

/** A component after validation: its type name and its options. */
export interface ComponentSpec {
  readonly type: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** An alias after validation, ready to build. */
export interface AliasSpec {
  readonly backend: ComponentSpec;
  readonly serializer: ComponentSpec | undefined;
  readonly plugins: readonly ComponentSpec[];
  readonly namespace: string | undefined;
  readonly version: string | number | undefined;
  readonly ttl: Duration | null | undefined;
  readonly jitter?: Jitter | undefined;
  readonly timeout: Duration | null | undefined;
  readonly safe: boolean | undefined;
  readonly l1: L1Options | boolean | number | undefined;
  readonly invalidation: InvalidationMode | InvalidationOptions | undefined;
  /** Whether the alias was written as a URL: its errors then name the URL's parameters. */
  readonly fromUrl?: boolean;
}

// What an alias object without `backend` gets.
const DEFAULT_BACKEND = 'memory';

const fail = (path: string, problem: string): never => {
  throw new ConfigError(`${path}: ${problem}`, { path });
};

const finiteNumber: OptionCheck = (value) =>
  typeof value === 'number' && Number.isFinite(value)
    ? undefined
    : { message: `expected a string or a number; got ${describeValue(value)}`, error: 'type' };

const jitterCheck: OptionCheck = (value) => {
  try {
    parseJitter(value, 'jitter');
    return undefined;
  } catch (error) {
    return { message: (error as Error).message, error: 'range' };
  }
};

// The fields of an alias object. The components' own are checked against their descriptors' schemas.
const ALIAS_FIELDS: OptionsSchema = {
  fields: {
    namespace: checks.string,
    version: checks.either(checks.string, finiteNumber),
    ttl: checks.nullable(checks.duration()),
    jitter: jitterCheck,
    timeout: checks.nullable(checks.duration()),
    safe: checks.boolean,
    l1: checkedBy(l1SettingsOf),
    invalidation: checkedBy(invalidationSettingsOf),
    backend: checks.anything,
    serializer: checks.anything,
    plugins: checks.anything,
  },
};

/**
 * Checks one alias of a config and returns it in normalized form. Nothing is built or connected.
 *
 * @param path - where the alias sits, for messages: `caches.sessions` (`''` for a URL on its own).
 * @throws ConfigError naming the field path, what was found and what is allowed.
 */
export function normalizeAlias(raw: unknown, path: string, types: ComponentTypes): AliasSpec {
  if (typeof raw === 'string') return normalizeUrlAlias(raw, path, types);
  const alias = raw;
  if (typeof alias !== 'object' || alias === null || Array.isArray(alias)) {
    fail(path, `expected a URL string or an object; got ${describeValue(alias)}`);
  }
  const fields = alias as Record<string, unknown>;
  validateOptions(fields, ALIAS_FIELDS, path, 'field');
  const plugins = fields.plugins;
  if (plugins !== undefined && !Array.isArray(plugins))
    fail(`${path}.plugins`, `expected an array; got ${describeValue(plugins)}`);
  return {
    backend: component(fields.backend ?? DEFAULT_BACKEND, `${path}.backend`, 'backend', types),
    serializer:
      fields.serializer === undefined
        ? undefined
        : component(fields.serializer, `${path}.serializer`, 'serializer', types),
    plugins: ((plugins ?? []) as unknown[]).map((plugin, i) =>
      component(plugin, `${path}.plugins[${i}]`, 'plugin', types),
    ),
    namespace: fields.namespace as string | undefined,
    version: fields.version as string | number | undefined,
    ttl: fields.ttl as Duration | null | undefined,
    jitter: fields.jitter as Jitter | undefined,
    timeout: fields.timeout as Duration | null | undefined,
    safe: fields.safe as boolean | undefined,
    l1: fields.l1 as L1Options | boolean | number | undefined,
    invalidation: fields.invalidation as InvalidationMode | InvalidationOptions | undefined,
  };
}

// An option check made of the function that reads the option (and throws what is wrong with it).
function checkedBy(read: (value: unknown) => unknown): OptionCheck {
  return (value) => {
    try {
      read(value);
      return undefined;
    } catch (error) {
      return { message: (error as Error).message, error: error instanceof RangeError ? 'range' : 'type' };
    }
  };
}

/**
 * The path of a problem as the user wrote it. `inner` is where it sits in the alias' object form
 * (`serializer`, `backend.url.db`, `backend.maxSize`, `''` for the alias itself). An object alias
 * names it under the alias (`caches.s.backend.url.db`); a URL alias by the URL's own parameter
 * names (`caches.s.url.ttl`, `caches.s.url.db`, or `url.ttl` for a URL on its own), never by the
 * object fields a URL translates to (`backend`, `serializer.type`, a backend's own `url`).
 *
 * @param aliasPath - where the alias sits: `caches.sessions` (`''` for a URL on its own).
 */
export function userPath(aliasPath: string, fromUrl: boolean | undefined, inner: string): string {
  if (!fromUrl) return [aliasPath, inner].filter((part) => part !== '').join('.');
  const urlPath = aliasPath === '' ? 'url' : `${aliasPath}.url`;
  const param = inner
    .replace(/^backend\.url(?=\.|$)/, '')
    .replace(/^serializer\.type$/, 'serializer')
    .replace(/^l1\.maxSize$/, 'l1')
    .replace(/^l1\.ttl$/, 'l1Ttl')
    .replace(/^(backend|serializer)\./, '')
    .replace(/^backend$/, '')
    .replace(/^\./, '');
  return param === '' ? urlPath : `${urlPath}.${param}`;
}

/**
 * A ConfigError again, at the path the user wrote (see {@link userPath}), its message starting
 * with that path instead of the one it was raised at.
 */
export function placeConfigError(error: ConfigError, at: string): ConfigError {
  const problem =
    error.path !== undefined && error.message.startsWith(`${error.path}: `)
      ? error.message.slice(error.path.length + 2)
      : error.message;
  return new ConfigError(`${at}: ${problem}`, { path: at, cause: error });
}

function normalizeUrlAlias(url: string, path: string, types: ComponentTypes): AliasSpec {
  const urlPath = path === '' ? 'url' : `${path}.url`;
  try {
    return { ...normalizeAlias(aliasFromUrl(url, types), urlPath, types), fromUrl: true };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Raised at `url.<param>` (reading the URL) or under `<urlPath>.` (checking its object form).
    const raised = error.path ?? 'url';
    const inner = raised.startsWith(`${urlPath}.`)
      ? raised.slice(urlPath.length + 1)
      : raised.replace(/^url(\.|$)/, '');
    throw placeConfigError(error, userPath(path, true, inner));
  }
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces every `${ENV_NAME}` inside the config's strings with that environment variable.
 *
 * @throws ConfigError naming the field and the variable when a variable is not set.
 */
export function interpolateEnv<T>(value: T, path: string, env: NodeJS.ProcessEnv = process.env): T {
  if (typeof value === 'string') {
    return value.replace(ENV_REFERENCE, (_, name: string) => {
      const found = env[name];
      if (found === undefined) fail(path, `environment variable ${name} is not set`);
      return found!;
    }) as T;
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, `${path}[${i}]`, env)) as T;
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, `${path}.${key}`, env)]),
    ) as T;
  }
  return value;
}

function component(raw: unknown, path: string, kind: ComponentKind, types: ComponentTypes): ComponentSpec {
  const known = types.names(kind);
  let type: unknown;
  let options: Record<string, unknown> = {};
  if (typeof raw === 'string') {
    type = raw;
  } else if (isPlainObject(raw)) {
    ({ type, ...options } = raw);
    if (type === undefined) fail(`${path}.type`, `missing; expected one of ${known.join(', ')}`);
  } else {
    fail(path, `expected a ${kind} name or { type, ...options }; got ${describeValue(raw)}`);
  }
  const typePath = typeof raw === 'string' ? path : `${path}.type`;
  if (typeof type !== 'string') fail(typePath, `expected a ${kind} name; got ${describeValue(type)}`);
  const found = types.find(kind, type as string);
  if (found === undefined) {
    const guess = didYouMean(type as string, known);
    fail(
      typePath,
      `unknown ${kind} "${String(type)}"; known: ${known.join(', ')}${guess ? `; did you mean "${guess}"?` : ''}`,
    );
  }
  const schema = found!.descriptor.options;
  if (schema !== undefined) validateOptions(options, schema, path, `${type as string} ${kind} option`);
  return { type: type as string, options };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
