import { RESERVED_KEY_PREFIX, type KeyHandle } from './backends/backend.js';
import { describeValue } from './describe.js';
import { ConfigError } from './errors.js';
import { KeyMemo } from './key-memo.js';
import { defaultKeyBuilder, keyAffixes, normalizeKey, type KeyAffixes, type KeyBuilder } from './keys.js';

/** The per-call options that choose a key space other than the cache's own. */
export interface KeySpaceOptions {
  readonly namespace?: string;
  readonly version?: string | number;
}

// Where locks live: outside every namespace, so that a namespace's clear, deletePattern and scan
// never see (or delete) another process's lock.
const LOCK_PREFIX = `${RESERVED_KEY_PREFIX}lock:`;

/**
 * How a cache turns the caller's keys into the keys its backend stores: namespace, version and
 * key builder, and the affixes that scope patterns to them. It remembers the final keys of hot
 * keys (see KeyMemo), so a namespaced hit neither builds nor hashes a string afresh.
 */
export class KeySpace {
  /** The namespace every key is built in, if any. */
  readonly namespace: string | undefined;
  /** The key version, if any. */
  readonly version: string | undefined;
  readonly #builder: KeyBuilder | undefined;
  // What the default builder puts before every key ('' for none).
  readonly #prefix: string;
  // Handles of recent keys' final keys; undefined where there is nothing to build (no prefix, no
  // builder: the key is the final key) and no backend hint to keep.
  readonly #handles: KeyMemo<string> | undefined;
  #affixes: KeyAffixes | undefined;
  // Whether final keys are the caller's keys as given: no prefix, no builder, nothing remembered.
  readonly #asGiven: boolean;

  /**
   * @param remember - how many recent keys' final keys to remember handles of (0: none; a
   *   function is asked again at each sweep of the memo): worth
   *   it when a prefix must be added and the backend hashes keys in this process (a synchronous
   *   backend) or keeps hints (`peek`).
   * @throws TypeError for a namespace, version or key builder of the wrong type.
   */
  constructor(namespace: unknown, version: unknown, builder: unknown, remember: number | (() => number)) {
    this.namespace = namespaceOf(namespace, 'namespace');
    this.version = versionOf(version, 'version');
    if (builder !== undefined && typeof builder !== 'function') {
      throw new TypeError(`keyBuilder must be a function; got ${describeValue(builder)}`);
    }
    this.#builder = builder as KeyBuilder | undefined;
    const prefix = defaultKeyBuilder('', this.namespace, this.version);
    this.#prefix = prefix;
    // With no prefix the caller's key is the final key: nothing to build, and a second lookup
    // (the memo's) would cost more than the backend's own.
    this.#handles =
      remember !== 0 && this.#builder === undefined && prefix !== ''
        ? new KeyMemo(remember, (key) => prefix + wellFormed(key))
        : undefined;
    this.#asGiven = this.#handles === undefined && this.#builder === undefined && prefix === '';
  }

  /**
   * The final key of `key` in this key space, or in the one `options` choose.
   *
   * @throws TypeError for a bad key, or a key builder that returns no string.
   */
  finalKey(key: unknown, options?: KeySpaceOptions): string {
    const text = typeof key === 'string' && key !== '' ? key : normalizeKey(key);
    if (options === undefined || (options.namespace === undefined && options.version === undefined)) {
      if (this.#builder === undefined) {
        if (this.#handles !== undefined) return this.#handles.get(text).key;
        // Only a cache without a prefix could reach larder's own keys.
        return this.#prefix === '' ? unreserved(wellFormed(text)) : this.#prefix + wellFormed(text);
      }
      return checkBuiltKey(this.#builder(text, this.namespace, this.version));
    }
    const namespace =
      options.namespace === undefined ? this.namespace : namespaceOf(options.namespace, 'options.namespace');
    const version =
      options.version === undefined ? this.version : versionOf(options.version, 'options.version');
    return checkBuiltKey((this.#builder ?? defaultKeyBuilder)(text, namespace, version));
  }

  /**
   * {@link finalKey} in the cache's own key space, but without the scan for lone surrogates when
   * nothing else builds the key: for an in-process store's `get`, where such a key can only miss
   * (every write refuses it, and a JavaScript string key collides with no other), so the scan,
   * which cost a memory get 15–25 %, buys nothing. A store of bytes (Redis) gets the full check:
   * there it would reach another key's bytes. Reserved keys are not refused here either (what is
   * stored is read, and no write can reach them).
   *
   * @throws TypeError for a key that is not a non-empty string or finite number, or one of larder's own.
   */
  readKey(key: unknown): string {
    if (!this.#asGiven) return this.finalKey(key);
    // Nor the reserved prefix: a read cannot disturb a lock, and every write is refused.
    return typeof key === 'string' && key !== '' ? key : normalizeKey(key);
  }

  /** Whether {@link handle} remembers handles (else it answers `undefined`). */
  get remembers(): boolean {
    return this.#handles !== undefined;
  }

  /**
   * The remembered handle of `key`'s final key in this key space, or `undefined` when handles are
   * not remembered (then use {@link finalKey}).
   *
   * @throws TypeError for a bad key.
   */
  handle(key: unknown): KeyHandle | undefined {
    const handles = this.#handles;
    if (handles === undefined) return undefined;
    return handles.get(typeof key === 'string' && key !== '' ? key : normalizeKey(key));
  }

  /**
   * What the key builder puts around keys in the chosen key space: with the version for
   * deletePattern and scan, without it for clear (which removes every version).
   *
   * @throws TypeError for a key builder that does not embed the key verbatim.
   */
  affixes(options: KeySpaceOptions | undefined, withVersion: boolean): KeyAffixes {
    const builder = this.#builder ?? defaultKeyBuilder;
    const namespace =
      options?.namespace === undefined ? this.namespace : namespaceOf(options.namespace, 'options.namespace');
    if (!withVersion) return this.#separated(keyAffixes(builder, namespace, undefined), namespace);
    const version =
      options?.version === undefined ? this.version : versionOf(options.version, 'options.version');
    if (namespace === this.namespace && version === this.version) {
      return (this.#affixes ??= this.#separated(keyAffixes(builder, namespace, version), namespace));
    }
    return this.#separated(keyAffixes(builder, namespace, version), namespace);
  }

  // A namespace's affixes, if its keys cannot be confused with another namespace's: a key builder
  // that glues the namespace to the key (`app` + `le:1`) would let clear() of `app` remove
  // `apple:1`. The default builder always puts `:` between them.
  #separated(affixes: KeyAffixes, namespace: string | undefined): KeyAffixes {
    const last = affixes.prefix.at(-1);
    if (
      this.#builder !== undefined &&
      namespace !== undefined &&
      last !== undefined &&
      /[\p{L}\p{N}]/u.test(last)
    ) {
      throw new ConfigError(
        `keyBuilder puts "${affixes.prefix}" before keys of namespace "${namespace}" with no separator, so clear() and deletePattern() of it would reach other namespaces' keys (of "${namespace}x", say); end the namespace part with a separator such as ":"`,
        { path: 'keyBuilder' },
      );
    }
    return affixes;
  }

  /** The key a lock on `key` (in the chosen key space) lives at (see {@link RESERVED_KEY_PREFIX}). */
  lockKey(key: unknown, options?: KeySpaceOptions): string {
    return LOCK_PREFIX + this.finalKey(key, options);
  }
}

/**
 * A namespace option as the cache keeps it: `undefined` for none (`''` is none too).
 *
 * @throws TypeError if it is not a string.
 */
export function namespaceOf(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string; got ${describeValue(value)}`);
  return value;
}

/**
 * A version option as the cache keeps it: a string, or `undefined` for none.
 *
 * @throws TypeError if it is neither a string nor a finite number.
 */
export function versionOf(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
    return String(value);
  throw new TypeError(`${name} must be a string or a finite number; got ${describeValue(value)}`);
}

function checkBuiltKey(built: unknown): string {
  if (typeof built !== 'string' || built === '') {
    throw new TypeError(`keyBuilder must return a non-empty string; got ${describeValue(built)}`);
  }
  return unreserved(wellFormed(built));
}

// Redis keys are bytes: a lone surrogate has no UTF-8 form, and two keys with different ones would
// become the same key. Refused on every backend, so a key means the same thing everywhere.
function wellFormed(key: string): string {
  if (!key.isWellFormed()) {
    throw new TypeError(
      `key ${JSON.stringify(key)} is not well-formed UTF-16 (it has a lone surrogate), so it has no byte form a store can keep apart from others`,
    );
  }
  return key;
}

// A final key that is not one of larder's own (locks): a caller's key must never overwrite
// another process's lock. The first-character test keeps the common case to one comparison.
function unreserved(finalKey: string): string {
  if (finalKey.charCodeAt(0) === 95 /* _ */ && finalKey.startsWith(RESERVED_KEY_PREFIX)) {
    throw new TypeError(
      `key "${finalKey}" is under "${RESERVED_KEY_PREFIX}", which larder keeps for its own keys (locks); use another key or a namespace`,
    );
  }
  return finalKey;
}
