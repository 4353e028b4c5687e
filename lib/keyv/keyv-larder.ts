import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { Cache } from '../cache.js';
import { describeValue } from '../describe.js';
import { ConfigError } from '../errors.js';
import { escapeGlob } from '../keys.js';
import { refuseUnknownOptions } from '../options-schema.js';
import { resolveCache } from '../registry.js';

/**
 * What a {@link KeyvLarder} stores for each Keyv entry.
 *
 * - `'keyv'` (the default): what Keyv hands a store, its envelope `{"value":…,"expires":…}`
 *   serialized by Keyv (a string), stored as the cache's value; the cache's serializer then encodes
 *   that string (docs/integrations.md lists the bytes). Any Keyv works over it, with its own
 *   serializer, compression and ttl checks: `new Keyv({ store: new KeyvLarder(cache) })`.
 * - `'larder'`: the value itself, encoded by the cache's own serializer, its ttl larder's, so the
 *   bytes are those a `cache.set` writes and a plain `cache.get` reads the entry. Keyv must then
 *   hand values over unserialized: build it with {@link createKeyv}, or give Keyv
 *   `serialize: undefined, deserialize: undefined`.
 */
export type KeyvLarderFormat = 'keyv' | 'larder';

/** Options of {@link KeyvLarder}. */
export interface KeyvLarderOptions {
  /** @default 'keyv' */
  readonly format?: KeyvLarderFormat;
}

/** An entry as a `'larder'`-format store hands it to Keyv, which reads `expires` as a timestamp. */
export interface KeyvEntryData {
  /** The value, decoded by the cache's serializer. */
  readonly value: unknown;
  /** When it expires, in ms since the epoch; absent with no expiry. */
  readonly expires?: number | undefined;
}

/**
 * A Keyv storage adapter over a larder {@link Cache}, or the alias of one in the `caches` registry
 * (resolved at each call, so the registry may be configured after the adapter is made). With it,
 * Keyv, cache-manager v7 and `@nestjs/cache-manager` store in larder: its backends, serializers,
 * namespaces, time limits, safe mode and plugins apply. Keys are stored as Keyv hands them (with
 * Keyv's `namespace:` prefix unless Keyv is told otherwise), inside the cache's own namespace.
 *
 * `disconnect()` is left out on purpose: the cache belongs to whoever made it (or to the
 * registry), so closing a Keyv, a cache-manager or a Nest module never closes it.
 *
 * @example
 * ```ts
 * import Keyv from 'keyv';
 * import { createCache } from 'cache-manager';
 * import { KeyvLarder } from 'larder/keyv';
 *
 * const manager = createCache({ stores: [new Keyv({ store: new KeyvLarder('default') })] });
 * ```
 */
export class KeyvLarder extends EventEmitter implements KeyvStoreAdapter {
  /** Set by Keyv: the namespace its keys are prefixed with, which `clear` and `iterator` keep to. */
  namespace: string | undefined;
  /** What it stores for each entry (see {@link KeyvLarderFormat}). */
  readonly format: KeyvLarderFormat;
  readonly #target: Cache | string;

  /**
   * @param cache - a Cache, or the alias of one in the `caches` registry. @default 'default'
   * @throws TypeError for a `cache` that is neither, an unknown option or an unknown `format`.
   */
  constructor(cache: Cache | string = 'default', options: KeyvLarderOptions = {}) {
    super();
    if (typeof cache !== 'string' && typeof (cache as Partial<Cache> | null)?.getWithTtl !== 'function') {
      throw new TypeError(`KeyvLarder needs a Cache or an alias; got ${describeValue(cache)}`);
    }
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`KeyvLarder options must be an object; got ${describeValue(options)}`);
    }
    refuseUnknownOptions(options, ['format'], 'KeyvLarder');
    const format = options.format ?? 'keyv';
    if (format !== 'keyv' && format !== 'larder') {
      throw new TypeError(`KeyvLarder format must be 'keyv' or 'larder'; got ${describeValue(format)}`);
    }
    this.#target = cache;
    this.format = format;
  }

  /**
   * What Keyv reads of its store. Keyv gives `iterator()` over only to stores whose `dialect` is
   * on its list of those that walk a namespace with values (sqlite, postgres, mysql, mongo,
   * redis, valkey, etcd); this one walks as its Redis store does (a glob, expired entries left out).
   */
  get opts(): { readonly dialect: 'redis'; readonly url: string; readonly format: KeyvLarderFormat } {
    return {
      dialect: 'redis',
      url: `larder:${typeof this.#target === 'string' ? this.#target : ''}`,
      format: this.format,
    };
  }

  /** The cache in use (resolving the alias now). */
  get cache(): Cache {
    return resolveCache(this.#target);
  }

  // Keyv's types say what Keyv may do with an answer; larder knows only what it stored.
  /** The stored envelope (`'keyv'`), or `{ value, expires }` read with `getWithTtl` (`'larder'`); `undefined` for a miss. */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    if (this.format === 'keyv') return (await this.cache.get(key)) as StoredData<Value> | undefined;
    const hit = await this.cache.getWithTtl(key);
    return (hit === undefined ? undefined : entryData(hit.value, hit.ttl)) as StoredData<Value> | undefined;
  }

  /** As {@link KeyvLarder.get} for each key, in one `multiGet`. */
  async getMany<Value>(keys: string[]): Promise<StoredData<Value | undefined>[]> {
    const values = await this.cache.multiGet(keys);
    // A multiGet reads no ttls: larder has already left expired entries out.
    const data =
      this.format === 'keyv' ? values : values.map((value) => (value === undefined ? undefined : { value }));
    return data as StoredData<Value | undefined>[];
  }

  /** @param ttl - ms; `undefined` (no ttl from Keyv) takes the cache's default ttl. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    return this.cache.set(key, this.#payload(value), ttl === undefined ? undefined : { ttl });
  }

  /** One `multiSet`, each entry with its own ttl (`undefined`: the cache's default). */
  async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<void> {
    await this.cache.multiSet(
      entries.map(({ key, value, ttl }) => [key, this.#payload(value), ttl] as const),
    );
  }

  /** @returns whether the key was there. */
  async delete(key: string): Promise<boolean> {
    return (await this.cache.delete(key)) === 1;
  }

  /** @returns whether any of the keys was removed. */
  async deleteMany(keys: string[]): Promise<boolean> {
    return (await this.cache.multiDelete(keys)) > 0;
  }

  /** @returns whether the key is present and unexpired. */
  async has(key: string): Promise<boolean> {
    return this.cache.exists(key);
  }

  /** {@link KeyvLarder.has} for each key, in one `multiGet`. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    return (await this.cache.multiGet(keys)).map((value) => value !== undefined);
  }

  /** Removes the keys of Keyv's namespace (`namespace:*`), or the whole cache's without one. */
  async clear(): Promise<void> {
    const namespace = this.namespace;
    if (namespace === undefined || namespace === '') await this.cache.clear();
    else await this.cache.deletePattern(`${escapeGlob(namespace)}:*`);
  }

  /** The entries of Keyv's namespace (or of the whole cache), as `[key, stored]` pairs. */
  async *iterator<Value>(namespace?: string): AsyncGenerator<(string | Awaited<Value> | undefined)[], void> {
    const glob = namespace === undefined || namespace === '' ? '*' : `${escapeGlob(namespace)}:*`;
    for await (const [key, value] of this.cache.entries(glob)) {
      yield [key, (this.format === 'keyv' ? value : { value }) as Awaited<Value>];
    }
  }

  #payload(value: unknown): unknown {
    if (this.format === 'keyv') return value;
    // Keyv hands over { value, expires } when its serializer is off; a string means it is on.
    if (typeof value !== 'object' || value === null || !('value' in value)) {
      throw new ConfigError(
        "KeyvLarder in 'larder' format needs Keyv's own serializer off: build it with createKeyv(cache), " +
          'or give Keyv serialize: undefined and deserialize: undefined',
        { path: 'format' },
      );
    }
    return (value as KeyvEntryData).value;
  }
}

function entryData(value: unknown, ttlMs: number): KeyvEntryData {
  return ttlMs === Infinity ? { value } : { value, expires: Date.now() + ttlMs };
}
