import { randomBytes } from 'node:crypto';
import type { BackendPort } from '../backend-port.js';
import { KeyHandle, RESERVED_KEY_PREFIX } from '../backends/backend.js';
import type { BackendCapabilities } from '../backends/capabilities.js';
import { describeValue } from '../describe.js';
import { KeyMemo } from '../key-memo.js';
import { isPending } from '../promise.js';
import { lookUpTags } from '../telemetry/internal.js';
import type { TaggedPayload } from './tagged-payload.js';

/** Told, after the backend acknowledged an invalidation, which tag keys it gave new tokens. */
export type TagInvalidationListener = (event: {
  /** The tags as the caller gave them (deduplicated). */
  readonly tags: readonly string[];
  /** Their keys, as stored entries name them (see {@link TagSpace.keyOf}). */
  readonly keys: readonly string[];
}) => void;

/** What a tagged entry is stored with: its tag keys and the tokens they held before the work began. */
export interface TagSnapshot {
  readonly keys: readonly string[];
  readonly tokens: readonly string[];
}

/**
 * The tags of one namespace: one key per tag holding an opaque random token, and one marker key
 * that every invalidation of the namespace gives a new token too (for tags known only after a
 * computation, see docs/tags.md). An entry is current while every tag key still holds the token it
 * was written with; a missing tag key means "invalidated", so losing one (eviction, deletion)
 * never brings an entry back, and a token is never reused, since it is random. No clock is read.
 *
 * Every key of a namespace's tags shares one Redis Cluster hash slot (`{…}` hash tag), so reading
 * several of them is one `MGET`, and an invalidation of several tags is one atomic `MSET`.
 */
export class TagSpace {
  /** The key whose token changes with every invalidation in this namespace. */
  readonly markerKey: string;
  readonly #prefix: string;
  readonly #port: BackendPort;
  readonly #synchronous: boolean;
  readonly #atomicWrites: boolean;
  readonly #peeks: boolean;
  // The keys of recently used tags, one string and one handle each: entries written with a tag
  // share its key's string (a hit compares pointers) and its handle (one hint for all of them).
  readonly #keys: KeyMemo<string>;
  readonly #listeners = new Set<TagInvalidationListener>();
  // The memory backend's revision (see revisionOf in lib/backends/memory.ts), when it has one.
  readonly #revision: ((handles?: readonly KeyHandle[]) => number) | undefined;

  constructor(
    namespace: string | undefined,
    port: BackendPort,
    capabilities: BackendCapabilities,
    synchronous: boolean,
    revision?: (handles?: readonly KeyHandle[]) => number,
  ) {
    // Under larder's reserved prefix, so a namespace's clear, deletePattern and scan never see
    // them; the namespace escaped so that no namespace and tag pair can spell another's key.
    const escaped = (namespace ?? '').replaceAll('%', '%25').replaceAll('}', '%7D');
    this.markerKey = `${RESERVED_KEY_PREFIX}tag:{t${escaped}}`;
    this.#prefix = `${this.markerKey}:`;
    this.#port = port;
    this.#synchronous = synchronous;
    this.#revision = revision;
    this.#atomicWrites = capabilities.multiSet;
    this.#peeks = capabilities.peek;
    const prefix = this.#prefix;
    this.#keys = new KeyMemo<string>(TAG_MEMO_LIMIT, (tag) => prefix + tag);
  }

  /** The key of one tag. */
  keyOf(tag: string): string {
    return this.#keys.get(tag).key;
  }

  /**
   * The keys of `tags`, checked and deduplicated (in first-seen order).
   *
   * @throws TypeError if `tags` is not an array of non-empty, well-formed strings.
   */
  keysOf(tags: unknown, what = 'tags'): string[] {
    return checkTags(tags, what).map((tag) => this.keyOf(tag));
  }

  /**
   * Registers a listener for invalidations made through this cache (after the backend
   * acknowledged them): the hook an in-process tier uses to drop its tagged entries.
   *
   * @returns a function that removes the listener.
   */
  listen(listener: TagInvalidationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The current tokens of `keys`, creating a fresh one (atomically, only if absent) for each
   * missing key. A key another writer created meanwhile is read again; if it is gone again, a
   * token nobody holds is used, so the entry written with it reads as missing: never as current.
   */
  snapshot(keys: readonly string[]): TagSnapshot | Promise<TagSnapshot> {
    return this.#then(this.read(keys), (tokens) => {
      const missing: number[] = [];
      tokens.forEach((token, i) => token === undefined && missing.push(i));
      if (missing.length === 0) return { keys, tokens: tokens as string[] };
      return this.#then(this.#create(keys, tokens, missing, true), (filled) => ({ keys, tokens: filled }));
    });
  }

  /**
   * The tokens of `keys` after a computation whose tags were not known before it: `undefined`
   * when the namespace's marker no longer holds `marker` (an invalidation ran meanwhile, or the
   * marker was lost), so the result must not be stored. Missing tag keys get fresh tokens; one
   * created meanwhile by someone else is not read again (it may be an invalidation's).
   */
  snapshotAfter(
    keys: readonly string[],
    marker: string,
  ): TagSnapshot | undefined | Promise<TagSnapshot | undefined> {
    // One read of the marker and the tags: one atomic MGET, the keys sharing a slot.
    return this.#then(this.read([this.markerKey, ...keys]), ([current, ...tokens]) => {
      if (current !== marker) return undefined;
      const missing: number[] = [];
      tokens.forEach((token, i) => token === undefined && missing.push(i));
      if (missing.length === 0) return { keys, tokens: tokens as string[] };
      return this.#then(this.#create(keys, tokens, missing, false), (filled) => ({ keys, tokens: filled }));
    });
  }

  /** The marker's current token, created if missing: taken before a computation whose tags come after. */
  marker(): string | Promise<string> {
    return this.#then(this.snapshot([this.markerKey]), (snapshot) => snapshot.tokens[0]!);
  }

  /** The tokens `keys` hold now (`undefined` for a missing key); traced as a `tagLookup`. */
  read(keys: readonly string[]): (string | undefined)[] | Promise<(string | undefined)[]> {
    return this.#then(
      lookUpTags(this.#port, keys, this.#synchronous) as unknown[] | Promise<unknown[]>,
      (stored) => stored.map(tokenOf),
    );
  }

  /** Whether every tag of a stored entry still holds the token it was written with. */
  isCurrent(entry: TaggedPayload): boolean | Promise<boolean> {
    // A backend that answers on the spot: one read per tag, no array, and the first mismatch ends it.
    if (this.#synchronous) {
      // Unchanged since this entry's tags were last found current, the store still holds them: no
      // read. Every SKIPS_BETWEEN_READS-th hit reads them anyway, so that the tag keys stay as
      // recently used as the entries they guard and LRU pressure does not evict them first.
      const revision = this.#revision?.();
      if (revision !== undefined && entry.checkedAt === revision && ++entry.skips !== SKIPS_BETWEEN_READS) {
        return true;
      }
      const { keys, tokens } = entry;
      // Where the backend can peek, each tag key's handle keeps a hint of where its token is, so a
      // hit finds it without hashing the key again (the memory backend).
      const handles = this.#peeks ? (entry.handles ??= keys.map((key) => this.#handleOf(key))) : undefined;
      for (let i = 0; i < keys.length; i++) {
        const stored = handles === undefined ? this.#port.get(keys[i]!) : this.#port.peek(handles[i]!);
        if (stored !== tokens[i] && tokenOf(stored) !== tokens[i]) return false;
      }
      if (handles !== undefined && revision !== undefined) {
        // Only tag keys that never expire: an expiry passes without changing the revision.
        entry.checkedAt = this.#revision!(handles);
        entry.skips = 0;
      }
      return true;
    }
    return this.#then(this.read(entry.keys), (tokens) => matches(entry, tokens));
  }

  /**
   * Whether each entry is current, with one read of all their tag keys.
   */
  areCurrent(entries: readonly TaggedPayload[]): boolean[] | Promise<boolean[]> {
    const keys = [...new Set(entries.flatMap((entry) => entry.keys))];
    return this.#then(this.read(keys), (tokens) => {
      const byKey = new Map(keys.map((key, i) => [key, tokens[i]]));
      return entries.map((entry) => entry.keys.every((key, i) => byKey.get(key) === entry.tokens[i]));
    });
  }

  /**
   * Gives each tag key, and the namespace's marker, a new token: one write (`MSET`) where the
   * backend has `multiSet`, whatever the number of entries tagged. Listeners are told once the
   * backend acknowledged it.
   */
  invalidate(tags: readonly string[], keys: readonly string[]): void | Promise<void> {
    if (keys.length === 0) return;
    // The marker goes first: a computation reading its tags after it (snapshotAfter) must see the
    // marker changed whenever it could see a tag's new token.
    const entries: [string, string][] = [this.markerKey, ...keys].map((key) => [key, newToken()]);
    const tell = (): void => {
      for (const listener of this.#listeners) listener({ tags, keys });
    };
    if (this.#atomicWrites) return this.#then(this.#port.call('multiSet', entries, 0), tell);
    let chain: void | Promise<void> = undefined;
    for (const [key, token] of entries) {
      chain = this.#then(chain, () => this.#then(this.#port.call('set', key, token, 0), () => undefined));
    }
    return this.#then(chain, tell);
  }

  // The shared handle of a tag key, if the key is one of this namespace's recent tags.
  #handleOf(key: string): KeyHandle {
    if (!key.startsWith(this.#prefix)) return new KeyHandle(key);
    const handle = this.#keys.get(key.slice(this.#prefix.length));
    return handle.key === key ? handle : new KeyHandle(key);
  }

  // Creates fresh tokens for the missing keys at `missing`; what `add` could not create is read
  // again (`reread`) or replaced by a token nobody holds.
  #create(
    keys: readonly string[],
    tokens: readonly (string | undefined)[],
    missing: readonly number[],
    reread: boolean,
  ): string[] | Promise<string[]> {
    const filled = [...tokens] as string[];
    const adds = missing.map((i) => {
      const token = newToken();
      return this.#then(this.#port.call('add', keys[i]!, token, 0), (added) => ({ i, token, added }));
    });
    return this.#then(all(adds, this.#synchronous), (results) => {
      const lost = results.filter((result) => !result.added);
      for (const { i, token } of results) filled[i] = token;
      if (lost.length === 0 || !reread) return filled;
      return this.#then(this.read(lost.map(({ i }) => keys[i]!)), (again) => {
        lost.forEach(({ i }, j) => (filled[i] = again[j] ?? filled[i]!));
        return filled;
      });
    });
  }

  #then<A, B>(answer: A | PromiseLike<A>, then: (value: A) => B | PromiseLike<B>): B | Promise<B> {
    if (isPending(answer, this.#synchronous)) return Promise.resolve(answer).then(then);
    const next = then(answer as A);
    return isPending(next, this.#synchronous) ? Promise.resolve(next) : (next as B);
  }
}

// Tags whose keys and handles are remembered (each generation of the memo).
const TAG_MEMO_LIMIT = 1_000;
// How many hits in a row a tagged entry may answer from the store's unchanged revision.
const SKIPS_BETWEEN_READS = 16;

/**
 * Tags as a caller gave them, checked: an array of non-empty, well-formed strings (duplicates dropped).
 *
 * @throws TypeError naming `what` otherwise.
 */
export function checkTags(tags: unknown, what = 'tags'): string[] {
  if (!Array.isArray(tags))
    throw new TypeError(`${what} must be an array of strings; got ${describeValue(tags)}`);
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag === '') {
      throw new TypeError(`${what} must hold non-empty strings; got ${describeValue(tag)}`);
    }
    if (!tag.isWellFormed()) {
      throw new TypeError(`tag ${JSON.stringify(tag)} is not well-formed UTF-16 (it has a lone surrogate)`);
    }
  }
  return [...new Set(tags as string[])];
}

function matches(entry: TaggedPayload, tokens: readonly (string | undefined)[]): boolean {
  for (let i = 0; i < tokens.length; i++) if (tokens[i] !== entry.tokens[i]) return false;
  return true;
}

// 128 random bits: never reused, whatever was lost before.
function newToken(): string {
  return randomBytes(16).toString('base64url');
}

// A token as read back: a string on the memory backend, bytes on Redis; anything else is no token.
function tokenOf(stored: unknown): string | undefined {
  if (typeof stored === 'string') return stored;
  if (stored instanceof Uint8Array)
    return Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString();
  return undefined;
}

function all<T>(answers: readonly (T | Promise<T>)[], synchronous: boolean): T[] | Promise<T[]> {
  return answers.some((answer) => isPending(answer, synchronous)) ? Promise.all(answers) : (answers as T[]);
}
