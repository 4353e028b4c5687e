import type { Backend } from './backends/backend.js';
import {
  descriptorOf,
  type BackendDescriptor,
  type BuildContext,
  type ComponentDescriptor,
  type ComponentKind,
  type ComponentKinds,
  type DescriptorOf,
  type Registration,
} from './component.js';
import { placeConfigError, userPath, type AliasSpec, type ComponentSpec } from './config.js';
import { ConfigError } from './errors.js';
import type { CacheOptions } from './options.js';

/** A component type under the name configs use for it. */
export interface ComponentType<K extends ComponentKind = ComponentKind> {
  readonly name: string;
  readonly descriptor: DescriptorOf<K>;
}

interface Entry<K extends ComponentKind> extends ComponentType<K> {
  // What it was registered as (a class or a descriptor): registering it again is a no-op.
  readonly registration: unknown;
  readonly builtIn: boolean;
}

type Entries = { readonly [K in ComponentKind]: Map<string, Entry<K>> };

// The alias fields that are Cache options as they are.
const CACHE_FIELDS = ['namespace', 'version', 'ttl', 'jitter', 'timeout', 'safe'] as const;

/**
 * The component types a config can name: a list of descriptors by kind and name, the built-in
 * ones first, then whatever `caches.register` adds, and the URL schemes of the backends. It
 * validates nothing itself (`normalizeAlias` does, with the descriptors' schemas) and builds
 * aliases once validated.
 */
export class ComponentTypes {
  readonly #entries: Entries = { backend: new Map(), serializer: new Map(), plugin: new Map() };
  readonly #schemes = new Map<string, ComponentType<'backend'>>();

  /** @param builtIns - the types that come first and that `register` cannot replace. */
  constructor(builtIns: readonly ComponentDescriptor[]) {
    for (const descriptor of builtIns) {
      const kind = descriptor.kind;
      this.#add(
        kind,
        descriptor.type,
        descriptor,
        descriptorOf(kind, descriptor.type, descriptor as never),
        true,
      );
    }
  }

  /**
   * Adds a named type: a descriptor, a class carrying one as its own static `descriptor`, or a
   * plain class. Registering the same thing again under the same name is a no-op.
   *
   * @throws TypeError for a bad kind, name, class or descriptor; ConfigError if the name, or one
   *   of the descriptor's URL schemes, is taken by another type.
   */
  register<K extends ComponentKind>(kind: K, name: string, registration: Registration<K>): void {
    if (!Object.hasOwn(this.#entries, kind))
      throw new TypeError(`kind must be backend, serializer or plugin; got "${String(kind)}"`);
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
      throw new TypeError(`a ${kind} name is letters, digits, ".", "_" and "-"; got ${JSON.stringify(name)}`);
    }
    const existing = this.#entries[kind].get(name);
    if (existing?.registration === registration) return;
    const descriptor = descriptorOf(kind, name, registration);
    if (existing !== undefined) {
      throw new ConfigError(
        `${kind} "${name}" is already registered${existing.builtIn ? ' (built in)' : ''} to another ${typeof registration === 'function' ? 'class' : 'descriptor'}`,
        { path: `${kind}.${name}` },
      );
    }
    this.#add(kind, name, registration, descriptor, false);
  }

  /** The names a config may use for a kind, built-in ones first. */
  names(kind: ComponentKind): string[] {
    return [...this.#entries[kind].keys()];
  }

  /** The type a config names, if there is one. */
  find<K extends ComponentKind>(kind: K, name: string): ComponentType<K> | undefined {
    return this.#entries[kind].get(name) as ComponentType<K> | undefined;
  }

  /** The backend type a URL scheme (lower case, no colon) stands for, if any. */
  forScheme(scheme: string): ComponentType<'backend'> | undefined {
    return this.#schemes.get(scheme);
  }

  /** Every URL scheme a backend type claims, in the order they were added. */
  schemes(): string[] {
    return [...this.#schemes.keys()];
  }

  /**
   * Builds a validated alias into a cache: its options are the alias' with `overrides` over them
   * (an `undefined` override inherits), and a backend, serializer or plugin list an override
   * replaces is not built at all. Should building or `construct` fail, the backend built for it is
   * closed.
   *
   * @param path - where the alias sits, for messages: `caches.sessions` (`''` for a URL alone).
   * @param construct - makes the cache (given here, so that this module does not import the Cache).
   * @throws ConfigError naming the component when its descriptor refuses to build, and a
   *   ConfigError of `construct` again, both at the path the user wrote (`caches.s.url.serializer`);
   *   whatever else `construct` throws.
   */
  buildCache<C>(
    spec: AliasSpec,
    path: string,
    context: BuildContext,
    overrides: CacheOptions,
    construct: (options: CacheOptions) => C,
  ): C {
    const options: { -readonly [K in keyof CacheOptions]: CacheOptions[K] } = {};
    for (const field of CACHE_FIELDS) {
      if (spec[field] !== undefined) (options as Record<string, unknown>)[field] = spec[field];
    }
    for (const [name, value] of Object.entries(overrides)) {
      if (value !== undefined) (options as Record<string, unknown>)[name] = value;
    }
    let built: Backend | undefined;
    // Where in the alias' object form the step under way is: a ConfigError raised there has a path
    // relative to it (a component's option, or the cache's own: `serializer`), or none.
    let step = '';
    try {
      if (options.backend === undefined) {
        step = 'backend';
        options.backend = built = this.#build('backend', spec.backend, context);
      }
      if (options.serializer === undefined && spec.serializer !== undefined) {
        step = 'serializer';
        options.serializer = this.#build('serializer', spec.serializer, context);
      }
      options.plugins ??= spec.plugins.map((plugin, i) => {
        step = `plugins[${i}]`;
        return this.#build('plugin', plugin, context);
      });
      step = '';
      return construct(options);
    } catch (error) {
      // Do not leave a connection behind for a cache that will never be built.
      if (built !== undefined) void Promise.resolve(built.close()).catch(() => undefined);
      if (!(error instanceof ConfigError)) throw error;
      const inner = [step, error.path ?? ''].filter((part) => part !== '').join('.');
      throw placeConfigError(error, userPath(path, spec.fromUrl, inner));
    }
  }

  #add<K extends ComponentKind>(
    kind: K,
    name: string,
    registration: unknown,
    descriptor: DescriptorOf<K>,
    builtIn: boolean,
  ): void {
    const type: ComponentType<K> = { name, descriptor };
    const schemes = kind === 'backend' ? ((descriptor as BackendDescriptor).schemes ?? []) : [];
    const claimed = schemes.filter((scheme) => {
      const owner = this.#schemes.get(scheme);
      // The same descriptor under a second name leaves its schemes to the first.
      if (owner !== undefined && owner.descriptor !== descriptor) {
        throw new ConfigError(
          `backend "${name}" claims the URL scheme "${scheme}:", which backend "${owner.name}" has`,
          { path: `backend.${name}` },
        );
      }
      return owner === undefined;
    });
    (this.#entries[kind] as Map<string, Entry<K>>).set(name, { ...type, registration, builtIn });
    for (const scheme of claimed) this.#schemes.set(scheme, type as ComponentType<'backend'>);
  }

  // Builds one component; a ConfigError from here has a path relative to it (`type`, an option's).
  #build<K extends ComponentKind>(kind: K, spec: ComponentSpec, context: BuildContext): ComponentKinds[K] {
    const type = this.find(kind, spec.type);
    if (type === undefined) throw new ConfigError(`unknown ${kind} "${spec.type}"`, { path: 'type' });
    try {
      return type.descriptor.build(spec.options, context) as ComponentKinds[K];
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }
}
