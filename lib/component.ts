import type { Backend } from './backends/backend.js';
import { describeValue } from './describe.js';
import type { Logger } from './logger.js';
import type { OptionsSchema } from './options-schema.js';
import type { Plugin } from './plugins/plugin.js';
import type { Serializer } from './serializers/serializer.js';

/** The kinds of component a config names, and what each builds. */
export interface ComponentKinds {
  readonly backend: Backend;
  readonly serializer: Serializer<unknown>;
  readonly plugin: Plugin;
}

/** `'backend'`, `'serializer'` or `'plugin'`. */
export type ComponentKind = keyof ComponentKinds;

/** What a descriptor's `build` is given besides the options. */
export interface BuildContext {
  /** The logger of the cache being built (in the registry, bound to `{ alias }`). */
  readonly logger: Logger;
}

/**
 * Everything a config needs to know of one component type: its name, the options it takes, and
 * how to build it. Each built-in backend, serializer and plugin declares one next to its class;
 * `caches.register` takes yours.
 *
 * @typeParam Options - the options `build` is given, checked against `options` beforehand.
 */
export interface ComponentDescriptor<
  K extends ComponentKind = ComponentKind,
  Options = Readonly<Record<string, unknown>>,
> {
  readonly kind: K;
  /** Its name in configs: `{ type: 'memory' }`. */
  readonly type: string;
  /**
   * The options it takes. A config is checked against it when it is set (and the class's
   * constructor should check against the same one). Left out, options are passed on unchecked.
   */
  readonly options?: OptionsSchema;
  /** Builds one, from options a config gave (`type` left out). */
  build(options: Options, context: BuildContext): ComponentKinds[K];
}

/** A URL, as a backend descriptor's `fromUrl` is given it. */
export interface BackendUrl {
  /** The URL without its query: `redis://h:6379/0`. */
  readonly base: string;
  /** Its scheme, in lower case, without the colon: `redis`. */
  readonly scheme: string;
  /** The query parameters left once the cache's own (`namespace`, `ttl`, …) are taken out. */
  readonly params: URLSearchParams;
  /** The names of the cache's own parameters, for messages listing every parameter a URL may hold. */
  readonly cacheParams: readonly string[];
}

/**
 * A backend type, which may also be built from URLs.
 *
 * @example
 * ```ts
 * export const DYNAMO_BACKEND: BackendDescriptor<DynamoBackendOptions> = {
 *   kind: 'backend',
 *   type: 'dynamo',
 *   options: DYNAMO_OPTIONS,
 *   schemes: ['dynamo'],
 *   fromUrl: ({ base, params }) => ({ table: base.slice('dynamo://'.length), ...Object.fromEntries(params) }),
 *   build: (options, { logger }) => new DynamoBackend({ logger, ...options }),
 * };
 * ```
 */
export interface BackendDescriptor<Options = Readonly<Record<string, unknown>>> extends ComponentDescriptor<
  'backend',
  Options
> {
  /** URL schemes it is built from, in lower case and without the colon: `['redis', 'rediss']`. */
  readonly schemes?: readonly string[];
  /**
   * The backend options a URL of one of its `schemes` stands for, checked against `options`
   * afterwards. Needed when `schemes` are given.
   *
   * @throws ConfigError with `path` `'url'`, or `'url.<parameter>'` for a bad parameter.
   */
  fromUrl?(url: BackendUrl): Record<string, unknown>;
}

/** A serializer type. */
export type SerializerDescriptor<Options = Readonly<Record<string, unknown>>> = ComponentDescriptor<
  'serializer',
  Options
>;

/** A plugin type. */
export type PluginDescriptor<Options = Readonly<Record<string, unknown>>> = ComponentDescriptor<
  'plugin',
  Options
>;

/** The descriptor type of a kind. */
export type DescriptorOf<K extends ComponentKind> = K extends 'backend'
  ? BackendDescriptor
  : ComponentDescriptor<K>;

/** A class a config can name: constructed with the options object from the config. */
export type Registrable<T> = new (options: never) => T;

/**
 * What `caches.register` takes: a descriptor, a class carrying one as its own static `descriptor`,
 * or a plain class (then built with `new Class(options)`, its options unchecked until then, with no
 * logger and no URL schemes).
 */
export type Registration<K extends ComponentKind> = DescriptorOf<K> | Registrable<ComponentKinds[K]>;

const KINDS: readonly ComponentKind[] = ['backend', 'serializer', 'plugin'];
const SCHEME = /^[a-z][a-z0-9+.-]*$/;

/**
 * The descriptor a registration stands for, checked.
 *
 * @param name - the name it is registered under, for messages (and as the `type` of a plain class).
 * @throws TypeError for something that is neither a class nor a descriptor of this kind.
 */
export function descriptorOf<K extends ComponentKind>(
  kind: K,
  name: string,
  registration: Registration<K>,
): DescriptorOf<K> {
  if (typeof registration === 'function') {
    // Only the class's own: a subclass inherits its parent's descriptor, which builds the parent.
    if (Object.hasOwn(registration, 'descriptor')) {
      return checkedDescriptor(kind, name, (registration as unknown as { descriptor: unknown }).descriptor);
    }
    const Class = registration as unknown as new (options: unknown) => ComponentKinds[K];
    return {
      kind,
      type: name,
      build: (options: unknown) => new Class(options),
    } as unknown as DescriptorOf<K>;
  }
  return checkedDescriptor(kind, name, registration);
}

function checkedDescriptor<K extends ComponentKind>(kind: K, name: string, value: unknown): DescriptorOf<K> {
  const what = `${kind} "${name}"`;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { build?: unknown }).build !== 'function'
  ) {
    throw new TypeError(
      `register needs a class or a descriptor (with build) for ${what}; got ${describeValue(value)}`,
    );
  }
  const descriptor = value as Partial<BackendDescriptor> & { kind?: unknown };
  if (descriptor.kind !== kind) {
    const found = KINDS.includes(descriptor.kind as ComponentKind)
      ? `a ${String(descriptor.kind)}`
      : 'no kind';
    throw new TypeError(`the descriptor registered as ${what} describes ${found}`);
  }
  if (typeof descriptor.type !== 'string' || descriptor.type === '') {
    throw new TypeError(`the descriptor of ${what} needs a type name; got ${describeValue(descriptor.type)}`);
  }
  const fields = (descriptor.options as { fields?: unknown } | undefined)?.fields;
  if (descriptor.options !== undefined && (typeof fields !== 'object' || fields === null)) {
    throw new TypeError(`the options schema of ${what} needs its fields; got ${describeValue(fields)}`);
  }
  const schemes: unknown = descriptor.schemes ?? [];
  if (
    !Array.isArray(schemes) ||
    !schemes.every((scheme) => typeof scheme === 'string' && SCHEME.test(scheme))
  ) {
    throw new TypeError(`the URL schemes of ${what} are lower-case names without the colon: ['${name}']`);
  }
  if (schemes.length > 0 && typeof descriptor.fromUrl !== 'function') {
    throw new TypeError(`${what} names URL schemes, so its descriptor needs fromUrl`);
  }
  return value as DescriptorOf<K>;
}
