import { describeValue } from './describe.js';

/** What callers may pass as a key: a non-empty string, or a finite number (turned into a string). */
export type Key = string | number;

/**
 * Builds the key a backend stores from the caller's key and the cache's namespace and version.
 * It must embed `key` verbatim (that is how `deletePattern` and `clear` find a namespace's keys).
 */
export type KeyBuilder = (key: string, namespace?: string, version?: string) => string;

/**
 * The default {@link KeyBuilder}: joins the parts that are set with `:` — `ns:key`, `ns:2:key`,
 * `2:key` or `key`.
 */
export const defaultKeyBuilder: KeyBuilder = (key, namespace, version) => {
  if (namespace) return version ? `${namespace}:${version}:${key}` : `${namespace}:${key}`;
  return version ? `${version}:${key}` : key;
};

/**
 * Checks a caller's key and returns it as a string.
 *
 * @throws TypeError if the key is not a non-empty string or a finite number.
 */
export function normalizeKey(key: unknown, name = 'key'): string {
  if (typeof key === 'string') {
    if (key.length > 0) return key;
  } else if (typeof key === 'number' && Number.isFinite(key)) {
    return String(key);
  }
  throw new TypeError(`${name} must be a non-empty string or a finite number; got ${describeValue(key)}`);
}

const GLOB_SPECIAL = /[\\*?[\]]/g;

/** Escapes Redis glob metacharacters so `text` matches only itself inside a pattern. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIAL, '\\$&');
}

// A key no caller would choose; used to find where a key builder puts the key.
const PROBE_KEY = '\u0000larder-key-probe\u0000';

/** The fixed text a key builder puts before and after every key, for one namespace and version. */
export interface KeyAffixes {
  readonly prefix: string;
  readonly suffix: string;
}

/**
 * Finds what a key builder puts around keys, so patterns can be scoped to a namespace.
 *
 * @throws TypeError if the builder does not embed the key exactly once, verbatim.
 */
export function keyAffixes(
  builder: KeyBuilder,
  namespace: string | undefined,
  version: string | undefined,
): KeyAffixes {
  const built = builder(PROBE_KEY, namespace, version);
  const at = typeof built === 'string' ? built.indexOf(PROBE_KEY) : -1;
  if (at === -1 || built.indexOf(PROBE_KEY, at + 1) !== -1) {
    throw new TypeError(
      'keyBuilder must return a string that contains the key exactly once, verbatim; ' +
        "deletePattern() and clear() rely on it to find a namespace's keys",
    );
  }
  return { prefix: built.slice(0, at), suffix: built.slice(at + PROBE_KEY.length) };
}
