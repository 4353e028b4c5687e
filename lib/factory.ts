import type { Backend } from './backends/backend.js';
import { MemoryBackend } from './backends/memory.js';
import { RedisBackend } from './backends/redis/backend.js';
import type { AliasSpec, ComponentSpec, KnownTypes } from './config.js';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';
import type { CacheOptions } from './options.js';
import { HitMissRatioPlugin } from './plugins/hit-miss-ratio.js';
import type { Plugin } from './plugins/plugin.js';
import { TimingPlugin } from './plugins/timing.js';
import { JsonSerializer } from './serializers/json.js';
import { MsgpackSerializer } from './serializers/msgpack.js';
import { NullSerializer } from './serializers/null.js';
import type { Serializer } from './serializers/serializer.js';
import { StringSerializer } from './serializers/string.js';
import { StructuredCloneSerializer } from './serializers/structured-clone.js';

/** A class a config can name: constructed with the options object from the config. */
export type Registrable<T> = new (options: never) => T;

/** The kinds of component a config names, and what each builds. */
export interface ComponentKinds {
  readonly backend: Backend;
  readonly serializer: Serializer<unknown>;
  readonly plugin: Plugin;
}

type Tables = { readonly [K in keyof ComponentKinds]: Map<string, Registrable<ComponentKinds[K]>> };

/** Name → class for every kind; built-ins first, then whatever `caches.register` adds. */
export class ComponentTypes {
  readonly #tables: Tables = {
    backend: new Map<string, Registrable<Backend>>([
      ['memory', MemoryBackend],
      ['redis', RedisBackend],
    ]),
    serializer: new Map<string, Registrable<Serializer<unknown>>>([
      ['json', JsonSerializer],
      ['string', StringSerializer],
      ['msgpack', MsgpackSerializer],
      ['structured-clone', StructuredCloneSerializer],
      ['null', NullSerializer],
    ]),
    plugin: new Map<string, Registrable<Plugin>>([
      ['hit-miss-ratio', HitMissRatioPlugin],
      ['timing', TimingPlugin],
    ]),
  };
  readonly #builtIn = new Set(
    Object.values(this.#tables).flatMap((table: Map<string, unknown>) => [...table.keys()]),
  );

  /**
   * Adds a named class. Registering the same class again is a no-op.
   *
   * @throws TypeError for a bad name or class; ConfigError if the name is taken by another class.
   */
  register<K extends keyof ComponentKinds>(
    kind: K,
    name: string,
    Class: Registrable<ComponentKinds[K]>,
  ): void {
    const table = this.#tables[kind] as Map<string, Registrable<ComponentKinds[K]>> | undefined;
    if (table === undefined)
      throw new TypeError(`kind must be backend, serializer or plugin; got "${String(kind)}"`);
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
      throw new TypeError(`a ${kind} name is letters, digits, ".", "_" and "-"; got ${JSON.stringify(name)}`);
    }
    if (typeof Class !== 'function') throw new TypeError(`register needs a class for ${kind} "${name}"`);
    const existing = table.get(name);
    if (existing !== undefined && existing !== Class) {
      throw new ConfigError(
        `${kind} "${name}" is already registered${this.#builtIn.has(name) ? ' (built in)' : ''} to another class`,
        { path: `${kind}.${name}` },
      );
    }
    table.set(name, Class);
  }

  /** The names a config may use, per kind. */
  known(): KnownTypes {
    return {
      backend: [...this.#tables.backend.keys()],
      serializer: [...this.#tables.serializer.keys()],
      plugin: [...this.#tables.plugin.keys()],
    };
  }

  /**
   * Builds a validated alias into Cache options: a new backend, serializer and plugins.
   *
   * @param logger - bound into the cache (and the Redis backend) when given.
   * @throws ConfigError naming the alias when a constructor refuses its options.
   */
  build(spec: AliasSpec, path: string, logger: Logger | undefined): CacheOptions {
    const backendOptions =
      spec.backend.type === 'redis' && logger !== undefined
        ? { logger, ...spec.backend.options }
        : spec.backend.options;
    const backend = this.#construct(
      'backend',
      { ...spec.backend, options: backendOptions },
      `${path}.backend`,
    );
    try {
      const serializer =
        spec.serializer === undefined
          ? undefined
          : this.#construct('serializer', spec.serializer, `${path}.serializer`);
      const plugins = spec.plugins.map((plugin, i) =>
        this.#construct('plugin', plugin, `${path}.plugins[${i}]`),
      );
      const options: { -readonly [K in keyof CacheOptions]: CacheOptions[K] } = { backend, plugins };
      if (serializer !== undefined) options.serializer = serializer;
      if (logger !== undefined) options.logger = logger;
      for (const field of ['namespace', 'version', 'ttl', 'timeout', 'safe'] as const) {
        if (spec[field] !== undefined) (options as Record<string, unknown>)[field] = spec[field];
      }
      return options;
    } catch (error) {
      // Do not leave a connection behind for a cache that will never be built.
      void Promise.resolve(backend.close()).catch(() => undefined);
      throw error;
    }
  }

  #construct<K extends keyof ComponentKinds>(kind: K, spec: ComponentSpec, path: string): ComponentKinds[K] {
    const Class = this.#tables[kind].get(spec.type) as
      (new (options: unknown) => ComponentKinds[K]) | undefined;
    if (Class === undefined) throw new ConfigError(`${path}: unknown ${kind} "${spec.type}"`, { path });
    try {
      return new Class(spec.options);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ConfigError(`${path}: ${message}`, { path, cause: error });
    }
  }
}
