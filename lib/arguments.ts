import { describeValue } from './describe.js';
import type { Duration } from './duration.js';
import type { Key } from './keys.js';
import type { Plugin } from './plugins/plugin.js';

/**
 * Entries for `Cache.multiSet`: `[key, value]` pairs (or `[key, value, ttl]` triples, a ttl of
 * the entry's own), a `Map`, or a plain object.
 */
export type CacheEntries<V> =
  | readonly (readonly [Key, V] | readonly [Key, V, Duration | null | undefined])[]
  | ReadonlyMap<Key, V>
  | Readonly<Record<string, V>>;

/**
 * The keys argument of a multi-key operation.
 *
 * @throws TypeError if it is not an array.
 */
export function keysOf(keys: unknown): readonly unknown[] {
  if (!Array.isArray(keys)) throw new TypeError(`keys must be an array; got ${describeValue(keys)}`);
  return keys;
}

/**
 * The entries argument of `multiSet` as pairs, or triples where an entry has a ttl of its own.
 *
 * @throws TypeError if it is none of the accepted shapes, or a pair is not a pair.
 */
export function entriesOf<V>(entries: CacheEntries<V>): (readonly [unknown, V, unknown?])[] {
  if (Array.isArray(entries)) {
    return entries.map((pair: unknown, i) => {
      if (!Array.isArray(pair) || (pair.length !== 2 && pair.length !== 3)) {
        throw new TypeError(
          `multiSet entry ${i} must be a [key, value] pair or a [key, value, ttl] triple; got ${describeValue(pair)}`,
        );
      }
      return pair as unknown as readonly [unknown, V, unknown?];
    });
  }
  if (entries instanceof Map) return [...(entries as ReadonlyMap<Key, V>)];
  if (typeof entries === 'object' && entries !== null && !(Symbol.iterator in entries)) {
    return Object.entries(entries as Readonly<Record<string, V>>);
  }
  throw new TypeError(
    `multiSet entries must be an array of pairs, a Map or a plain object; got ${describeValue(entries)}`,
  );
}

/**
 * The plugins option, frozen.
 *
 * @throws TypeError if it is not an array of objects.
 */
export function pluginsOf(plugins: unknown): readonly Plugin[] {
  if (plugins === undefined) return [];
  if (!Array.isArray(plugins)) throw new TypeError(`plugins must be an array; got ${describeValue(plugins)}`);
  plugins.forEach((plugin: unknown, i) => {
    if (typeof plugin !== 'object' || plugin === null) {
      throw new TypeError(
        `plugins[${i}] must be an object with pre/post hooks; got ${describeValue(plugin)}`,
      );
    }
  });
  return Object.freeze([...(plugins as Plugin[])]);
}

/**
 * A boolean option.
 *
 * @throws TypeError for anything else but `undefined`.
 */
export function booleanOf(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${name} must be a boolean; got ${describeValue(value)}`);
  }
  return value;
}
