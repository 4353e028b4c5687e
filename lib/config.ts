import { describeValue } from './describe.js';
import { parseDuration, type Duration } from './duration.js';
import { ConfigError } from './errors.js';
import { parseRedisUrl } from './backends/redis/url.js';
import { aliasFromUrl } from './url.js';

/** A plugin, serializer or backend named in a config, with its options. */
export type ComponentConfig<Type extends string = string> =
  Type | ({ readonly type: Type } & Readonly<Record<string, unknown>>);

/** One cache in a config: a URL string, or an object. */
export type AliasConfig =
  | string
  | {
      /** `'memory'`, `'redis'`, a registered name, or `{ type, ...options }`. @default 'memory' */
      readonly backend?: ComponentConfig;
      /** `'json'`, `'msgpack'`, … or `{ type, compress?, secret?, … }`. @default the backend's */
      readonly serializer?: ComponentConfig;
      readonly namespace?: string;
      readonly version?: string | number;
      readonly ttl?: Duration | null;
      readonly timeout?: Duration | null;
      readonly safe?: boolean;
      /** `'hit-miss-ratio'`, `'timing'`, a registered name, or `{ type, ...options }`. */
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
  readonly timeout: Duration | null | undefined;
  readonly safe: boolean | undefined;
}

/** The names of every kind a config can use; built-in ones have an options schema. */
export interface KnownTypes {
  readonly backend: readonly string[];
  readonly serializer: readonly string[];
  readonly plugin: readonly string[];
}

type Check = (value: unknown, path: string) => void;

const fail = (path: string, problem: string): never => {
  throw new ConfigError(`${path}: ${problem}`, { path });
};

const isString: Check = (v, p) =>
  void (typeof v === 'string' || fail(p, `expected a string; got ${describeValue(v)}`));
const isBoolean: Check = (v, p) =>
  void (typeof v === 'boolean' || fail(p, `expected true or false; got ${describeValue(v)}`));
const isObject: Check = (v, p) =>
  void ((typeof v === 'object' && v !== null) || fail(p, `expected an object; got ${describeValue(v)}`));
const isFunction: Check = (v, p) =>
  void (typeof v === 'function' || fail(p, `expected a function; got ${describeValue(v)}`));
const anything: Check = () => undefined;
const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v, p) =>
    void (
      (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max) ||
      fail(
        p,
        `expected an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}; got ${describeValue(v)}`,
      )
    );
const oneOf =
  (...allowed: readonly unknown[]): Check =>
  (v, p) =>
    void (
      allowed.includes(v) ||
      fail(p, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${describeValue(v)}`)
    );
const duration: Check = (v, p) => {
  if (v === null) return;
  try {
    parseDuration(v, p);
  } catch (error) {
    fail(p, `${(error as Error).message.replace(`${p} `, '')}`);
  }
};
const either =
  (...checks: Check[]): Check =>
  (v, p) => {
    let first: unknown;
    for (const check of checks) {
      try {
        return check(v, p);
      } catch (error) {
        first ??= error;
      }
    }
    throw first;
  };
const redisUrl: Check = (v, p) => {
  isString(v, p);
  try {
    parseRedisUrl(v as string);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    fail(`${p}${error.path?.replace(/^url/, '') ?? ''}`, error.message);
  }
};

const SERIALIZER_OPTIONS: Readonly<Record<string, Check>> = {
  compress: oneOf('gzip', 'brotli', 'deflate'),
  compressThreshold: integer(0),
  secret: (v, p) =>
    void (
      (typeof v === 'string' && v !== '') ||
      v instanceof Uint8Array ||
      fail(p, 'expected a non-empty string')
    ),
  maxDecompressedBytes: integer(1),
};

const IOREDIS_OPTION_NAMES = [
  'host',
  'port',
  'path',
  'username',
  'password',
  'db',
  'tls',
  'sentinels',
  'name',
  'role',
  'preferredSlaves',
  'sentinelUsername',
  'sentinelPassword',
  'sentinelTLS',
  'enableTLSForSentinelMode',
  'sentinelCommandTimeout',
  'sentinelMaxConnections',
  'sentinelRetryStrategy',
  'sentinelReconnectStrategy',
  'updateSentinels',
  'natMap',
  'failoverDetector',
  'connectTimeout',
  'commandTimeout',
  'socketTimeout',
  'blockingTimeout',
  'blockingTimeoutGrace',
  'keepAlive',
  'noDelay',
  'connectionName',
  'clientInfoTag',
  'disableClientInfo',
  'family',
  'keyPrefix',
  'retryStrategy',
  'reconnectOnError',
  'readOnly',
  'stringNumbers',
  'maxRetriesPerRequest',
  'maxLoadingRetryTime',
  'enableAutoPipelining',
  'autoPipeliningIgnoredCommands',
  'enableOfflineQueue',
  'enableReadyCheck',
  'lazyConnect',
  'autoResubscribe',
  'autoResendUnfulfilledCommands',
  'disconnectTimeout',
  'protocol',
  'scripts',
  'monitor',
  'showFriendlyErrorStack',
] as const;

/** Options schemas of the built-in types. A registered type's options are passed on unchecked. */
const BUILT_IN_OPTIONS: Readonly<
  Record<keyof KnownTypes, Readonly<Record<string, Readonly<Record<string, Check>>>>>
> = {
  backend: {
    memory: {
      maxSize: either(integer(1), oneOf(Infinity)),
      maxBytes: integer(0),
      sweepInterval: duration,
      sizeOf: isFunction,
    },
    redis: {
      ...Object.fromEntries(IOREDIS_OPTION_NAMES.map((name) => [name, anything])),
      host: isString,
      port: integer(1, 65_535),
      path: isString,
      username: isString,
      password: isString,
      db: integer(0),
      connectTimeout: integer(0),
      commandTimeout: integer(0),
      url: redisUrl,
      autoPipelining: isBoolean,
      scanCount: integer(1),
      clusterOptions: isObject,
      client: isObject,
      logger: isObject,
    },
  },
  serializer: {
    json: SERIALIZER_OPTIONS,
    string: SERIALIZER_OPTIONS,
    msgpack: SERIALIZER_OPTIONS,
    'structured-clone': SERIALIZER_OPTIONS,
    null: {},
  },
  plugin: {
    'hit-miss-ratio': {},
    timing: { window: integer(1) },
  },
};

const ALIAS_FIELDS: Readonly<Record<string, Check>> = {
  namespace: isString,
  version: either(
    isString,
    (v, p) =>
      void (
        (typeof v === 'number' && Number.isFinite(v)) ||
        fail(p, `expected a string or a number; got ${describeValue(v)}`)
      ),
  ),
  ttl: duration,
  timeout: duration,
  safe: isBoolean,
  backend: anything,
  serializer: anything,
  plugins: anything,
};

/**
 * Checks one alias of a config and returns it in normalized form. Nothing is built or connected.
 *
 * @param path - where the alias sits, for messages: `caches.sessions` (`''` for a URL on its own).
 * @throws ConfigError naming the field path, what was found and what is allowed.
 */
export function normalizeAlias(raw: unknown, path: string, known: KnownTypes): AliasSpec {
  if (typeof raw === 'string') return normalizeUrlAlias(raw, path, known);
  const alias = raw;
  if (typeof alias !== 'object' || alias === null || Array.isArray(alias)) {
    fail(path, `expected a URL string or an object; got ${describeValue(alias)}`);
  }
  const fields = alias as Record<string, unknown>;
  checkFields(fields, ALIAS_FIELDS, path, 'field');
  const plugins = fields.plugins;
  if (plugins !== undefined && !Array.isArray(plugins))
    fail(`${path}.plugins`, `expected an array; got ${describeValue(plugins)}`);
  return {
    backend: component(fields.backend ?? 'memory', `${path}.backend`, 'backend', known),
    serializer:
      fields.serializer === undefined
        ? undefined
        : component(fields.serializer, `${path}.serializer`, 'serializer', known),
    plugins: ((plugins ?? []) as unknown[]).map((plugin, i) =>
      component(plugin, `${path}.plugins[${i}]`, 'plugin', known),
    ),
    namespace: fields.namespace as string | undefined,
    version: fields.version as string | number | undefined,
    ttl: fields.ttl as Duration | null | undefined,
    timeout: fields.timeout as Duration | null | undefined,
    safe: fields.safe as boolean | undefined,
  };
}

// A URL alias reports errors by the URL's own parameter names: `caches.s.url.ttl`, `caches.s.url.db`
// (or `url.ttl` for a URL on its own), not by the object paths they translate to.
function normalizeUrlAlias(url: string, path: string, known: KnownTypes): AliasSpec {
  const urlPath = path === '' ? 'url' : `${path}.url`;
  const rename = (at: string): string =>
    at
      .replace(/^url/, urlPath)
      .replace(`${urlPath}.backend.url`, urlPath)
      .replace(`${urlPath}.serializer.type`, `${urlPath}.serializer`)
      .replace(new RegExp(`^${escapeRegExp(urlPath)}\\.(backend|serializer)\\.`), `${urlPath}.`);
  try {
    return normalizeAlias(aliasFromUrl(url), urlPath, known);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const at = rename(error.path ?? 'url');
    const problem =
      error.path !== undefined && error.message.startsWith(`${error.path}: `)
        ? error.message.slice(error.path.length + 2)
        : error.message;
    throw new ConfigError(`${at}: ${problem}`, { path: at, cause: error });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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

/** The closest of `candidates` to `word`, if any is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function component(raw: unknown, path: string, kind: keyof KnownTypes, known: KnownTypes): ComponentSpec {
  let type: unknown;
  let options: Record<string, unknown> = {};
  if (typeof raw === 'string') {
    type = raw;
  } else if (isPlainObject(raw)) {
    ({ type, ...options } = raw);
    if (type === undefined) fail(`${path}.type`, `missing; expected one of ${known[kind].join(', ')}`);
  } else {
    fail(path, `expected a ${kind} name or { type, ...options }; got ${describeValue(raw)}`);
  }
  const typePath = typeof raw === 'string' ? path : `${path}.type`;
  if (typeof type !== 'string') fail(typePath, `expected a ${kind} name; got ${describeValue(type)}`);
  if (!known[kind].includes(type as string)) {
    const guess = didYouMean(type as string, known[kind]);
    fail(
      typePath,
      `unknown ${kind} "${String(type)}"; known: ${known[kind].join(', ')}${guess ? `; did you mean "${guess}"?` : ''}`,
    );
  }
  const schema = BUILT_IN_OPTIONS[kind][type as string];
  if (schema !== undefined) checkFields(options, schema, path, `${type as string} ${kind} option`);
  return { type: type as string, options };
}

function checkFields(
  fields: Record<string, unknown>,
  schema: Readonly<Record<string, Check>>,
  path: string,
  what: string,
): void {
  const allowed = Object.keys(schema);
  for (const [name, value] of Object.entries(fields)) {
    const check = schema[name];
    if (check === undefined) {
      const guess = didYouMean(name, allowed);
      fail(
        `${path}.${name}`,
        `unknown ${what} "${name}"${guess ? `; did you mean "${guess}"?` : allowed.length > 0 && allowed.length <= 12 ? `; known: ${allowed.join(', ')}` : ''}`,
      );
    }
    if (value !== undefined) check!(value, `${path}.${name}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// Optimal string alignment distance: insertions, deletions, substitutions, and swaps of neighbours.
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
