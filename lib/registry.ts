import { readFileSync } from 'node:fs';
import { BUILT_IN_COMPONENTS } from './built-in-components.js';
import { withAlias } from './cache-alias.js';
import { checkCacheOptions } from './cache-core.js';
import { Cache } from './cache.js';
import type { ComponentKind, Registration } from './component.js';
import {
  interpolateEnv,
  normalizeAlias,
  type AliasConfig,
  type AliasSpec,
  type CachesConfig,
} from './config.js';
import { describeValue } from './describe.js';
import { ConfigError } from './errors.js';
import { ComponentTypes } from './factory.js';
import { defaultLogger, type Logger } from './logger.js';
import type { CacheOptions } from './options.js';

const DEFAULT_ALIAS = 'default';

// What `default` is when a config leaves it out.
const DEFAULT_MEMORY: AliasConfig = Object.freeze({ backend: 'memory' });

/**
 * Named caches built from config, so any module can reach the same cache by name:
 * `caches.get('default')`. Configs are objects, JSON files, or URL strings per alias, and are
 * checked in full when they are set, never later. Caches are built on first use.
 *
 * The registry calls are synchronous except {@link CacheRegistry.closeAll}.
 *
 * @example
 * ```ts
 * caches.setConfig({
 *   default: { backend: 'memory', ttl: '5m' },
 *   sessions: 'redis://localhost:6379/1?namespace=sess&ttl=30m',
 * });
 * const sessions = caches.get('sessions');
 * ```
 */
export class CacheRegistry {
  readonly #types = new ComponentTypes(BUILT_IN_COMPONENTS);
  #config: CachesConfig | undefined;
  // What loading the LARDER_CONFIG file threw: every later call throws it again.
  #environmentError: unknown;
  #specs = new Map<string, AliasSpec>();
  readonly #built = new Map<string, Cache>();
  #logger: Logger | undefined;

  /**
   * Replaces every alias. Instances already built are closed (in the background).
   *
   * @throws ConfigError naming the alias and field at fault; the previous config stays in force.
   */
  setConfig(config: CachesConfig): void {
    const specs = this.#check(config);
    this.#environmentError = undefined;
    this.#config = copyConfig(config);
    this.#specs = specs;
    this.#closeBuilt();
  }

  /**
   * Reads a JSON config file (the same shape as {@link CacheRegistry.setConfig}) and sets it.
   *
   * @throws ConfigError for a missing or unreadable file, bad JSON, or a bad config.
   */
  loadConfig(path: string): void {
    if (typeof path !== 'string' || path === '')
      throw new TypeError(`loadConfig needs a file path; got ${describeValue(path)}`);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new ConfigError(`cannot read config file ${path}: ${(cause as Error).message}`, { cause });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new ConfigError(`config file ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
    try {
      this.setConfig(parsed as CachesConfig);
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new ConfigError(`${error.message} (in ${path})`, { path: error.path, cause: error });
      }
      throw error;
    }
  }

  /**
   * The cache of an alias: the same instance on every call, built on first use.
   *
   * @throws ConfigError for an unknown alias, listing the known ones.
   */
  get<V = unknown>(alias: string = DEFAULT_ALIAS): Cache<V> {
    let cache = this.#built.get(alias);
    if (cache === undefined || cache.closed) {
      cache = this.#build(alias, {});
      this.#built.set(alias, cache);
    }
    return cache as Cache<V>;
  }

  /**
   * A new cache of an alias on every call, with `overrides` over its config. The caller owns it
   * (`closeAll` does not close it). A `backend`, `serializer` or `plugins` override replaces the
   * alias' own, which is then not built at all (no connection is opened for it).
   *
   * @throws ConfigError for an unknown alias; TypeError/RangeError for bad overrides.
   */
  create<V = unknown>(alias: string = DEFAULT_ALIAS, overrides: CacheOptions = {}): Cache<V> {
    return this.#build(alias, overrides) as Cache<V>;
  }

  /**
   * Adds one alias to the config.
   *
   * @throws ConfigError if the alias exists already or its config is bad; nothing changes then.
   */
  add(alias: string, config: AliasConfig): void {
    const current = this.#currentConfig();
    if (alias in current || (alias === DEFAULT_ALIAS && this.#built.has(DEFAULT_ALIAS))) {
      throw new ConfigError(
        `caches.${alias}: the alias exists already; use setConfig to replace the config`,
        {
          path: `caches.${alias}`,
        },
      );
    }
    const next = { ...current, [alias]: config };
    const specs = this.#check(next);
    this.#config = copyConfig(next);
    this.#specs = specs;
  }

  /** A copy of the config in force, as it was given (before `${ENV}` interpolation). */
  getConfig(): CachesConfig {
    return copyConfig(this.#currentConfig());
  }

  /** Closes every cache built by {@link CacheRegistry.get}. The config stays; `get` builds anew. */
  async closeAll(): Promise<void> {
    const built = [...this.#built.values()];
    this.#built.clear();
    await Promise.all(built.map((cache) => cache.close()));
  }

  /**
   * Makes a component type usable by name in configs:
   * `caches.register('serializer', 'cbor', CborSerializer)`. It takes a class, constructed with the
   * options object of the config entry (`{ type, ...options }` without `type`); or a descriptor
   * (`BackendDescriptor`, `SerializerDescriptor`, `PluginDescriptor`), or a class carrying one as its own static `descriptor`, which
   * also gives the type an options schema checked when a config is set, the cache's logger, and
   * (for a backend) URL schemes. Register before setting a config that names it.
   *
   * @throws TypeError for a bad kind, name, class or descriptor; ConfigError if the name, or a URL
   *   scheme of the descriptor, is taken by another type.
   * @example
   * ```ts
   * caches.register('backend', 'dynamo', DynamoBackend); // class with a static descriptor
   * caches.setConfig({ sessions: 'dynamo://sessions?readCapacity=5' });
   * ```
   */
  register<K extends ComponentKind>(kind: K, name: string, component: Registration<K>): void {
    this.#types.register(kind, name, component);
  }

  /** The logger registry-built caches log through (each bound to `{ alias }`). */
  setLogger(logger: Logger): void {
    if (typeof logger?.child !== 'function')
      throw new TypeError(`setLogger needs a pino logger; got ${describeValue(logger)}`);
    this.#logger = logger;
  }

  #build(alias: string, overrides: CacheOptions): Cache {
    if (typeof alias !== 'string') throw new TypeError(`an alias is a string; got ${describeValue(alias)}`);
    this.#currentConfig();
    const spec = this.#specs.get(alias) ?? (alias === DEFAULT_ALIAS ? this.#defaultSpec() : undefined);
    if (spec === undefined) {
      const known = [...new Set([DEFAULT_ALIAS, ...this.#specs.keys()])].join(', ');
      throw new ConfigError(`unknown cache alias "${alias}"; known: ${known}`, { path: `caches.${alias}` });
    }
    // A mistake in the overrides is the caller's (TypeError / RangeError); what fails after this is
    // the alias config's (ConfigError).
    checkCacheOptions(overrides);
    const logger = (overrides.logger ?? this.#logger ?? defaultLogger()).child({ alias });
    const path = `caches.${alias}`;
    try {
      return this.#types.buildCache(
        spec,
        path,
        { logger },
        // Telemetry names the cache after its alias unless told otherwise.
        { ...overrides, logger, telemetry: { alias, ...overrides.telemetry } },
        (options) => withAlias(new Cache(options), alias),
      );
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        throw new ConfigError(`${path}: ${error.message}`, { path, cause: error });
      }
      throw error;
    }
  }

  #defaultSpec(): AliasSpec {
    return normalizeAlias(DEFAULT_MEMORY, `caches.${DEFAULT_ALIAS}`, this.#types);
  }

  // The config in force; on first use with none set, the file LARDER_CONFIG names, if any. A bad
  // file stays an error on every later call (until setConfig replaces it): an app must never run
  // on an in-memory default without a sign, when its config meant Redis.
  #currentConfig(): CachesConfig {
    if (this.#environmentError !== undefined) throw this.#environmentError;
    if (this.#config === undefined) {
      const path = process.env.LARDER_CONFIG;
      if (path === undefined || path === '') {
        this.#config = {};
      } else {
        try {
          this.loadConfig(path);
        } catch (error) {
          this.#environmentError = error;
          throw error;
        }
      }
    }
    return this.#config!;
  }

  #check(config: unknown): Map<string, AliasSpec> {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new ConfigError(
        `caches: a config is an object of alias → URL or object; got ${describeValue(config)}`,
        {
          path: 'caches',
        },
      );
    }
    const specs = new Map<string, AliasSpec>();
    for (const [alias, raw] of Object.entries(config)) {
      const path = `caches.${alias}`;
      if (!/^[A-Za-z0-9_.-]+$/.test(alias)) {
        throw new ConfigError(`${path}: an alias is letters, digits, ".", "_" and "-"`, { path });
      }
      specs.set(alias, normalizeAlias(interpolateEnv(raw, path), path, this.#types));
    }
    return specs;
  }

  #closeBuilt(): void {
    const built = [...this.#built.values()];
    this.#built.clear();
    for (const cache of built) {
      cache
        .close()
        .catch((err: unknown) =>
          (this.#logger ?? defaultLogger()).warn({ err }, 'closing a replaced cache failed'),
        );
    }
  }
}

// Configs hold plain data (and, from code, perhaps functions or clients); copy the containers only.
function copyConfig<T>(config: T): T {
  if (Array.isArray(config)) return config.map(copyConfig) as T;
  if (typeof config === 'object' && config !== null && Object.getPrototypeOf(config) === Object.prototype) {
    return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, copyConfig(value)])) as T;
  }
  return config;
}

/** The process-wide registry. */
export const caches = new CacheRegistry();

/** A `cache` option (an instance, or an alias in {@link caches}, default `'default'`) as a Cache. */
export function resolveCache(option: Cache | string | undefined): Cache {
  return typeof option === 'object' ? option : caches.get(option ?? DEFAULT_ALIAS);
}
