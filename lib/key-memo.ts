import { KeyHandle } from './backends/backend.js';

// Remembers the strings built from recent keys, so that a hot key maps to the very same string on
// every call. A string built afresh (`prefix + key`, a cached() call key) must be flattened and
// hashed before a Map can look it up: about 200 ns for a 20-character key, ten times the lookup
// itself. A remembered string carries its hash; and a remembered key also carries where the memory
// backend found its entry last, so a cached() hit can skip the backend's hash lookup too (the
// second lookup and its cache misses were most of what a hit with default keys still cost).

/**
 * Inputs a generation holds: as many keys as a memory backend holds by default, so a default cache's
 * whole contents can be hot. It costs memory only as keys are used: a Map entry and a small record
 * per input, and the string, which the backend holds anyway when the write went through the memo.
 */
export const KEY_MEMO_LIMIT = 10_000;

/**
 * The longest string input worth remembering: keys are rarely longer, and the bound keeps a full
 * memo's memory bounded too (a few MB at most, about 1 MB for typical 30-character keys).
 */
export const KEY_MEMO_MAX_LENGTH = 200;

/**
 * Remembered keys by input, for about the `limit` most recently used inputs (at least `limit`, at
 * most twice that). Two generations bound it without bookkeeping per hit: a hit in the older one
 * moves the input to the younger, and when the younger is full it becomes the older and the older
 * is dropped.
 */
export class KeyMemo<I> {
  readonly #limit: number;
  readonly #build: (input: I) => string;
  #young = new Map<I, KeyHandle>();
  #old = new Map<I, KeyHandle>();

  /**
   * @param limit - inputs each generation holds.
   * @param build - makes the string for an input; it must depend on nothing else.
   */
  constructor(limit: number, build: (input: I) => string) {
    this.#limit = limit;
    this.#build = build;
  }

  /**
   * The remembered key for `input`, made (and remembered) if there is none. A string input longer
   * than {@link KEY_MEMO_MAX_LENGTH} gets a key made afresh and never remembered.
   */
  get(input: I): KeyHandle {
    if (typeof input === 'string' && input.length > KEY_MEMO_MAX_LENGTH) {
      return new KeyHandle(this.#build(input));
    }
    const young = this.#young.get(input);
    if (young !== undefined) return young;
    const remembered = this.#old.get(input) ?? new KeyHandle(this.#build(input));
    if (this.#young.size >= this.#limit) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(input, remembered);
    return remembered;
  }

  /** How many inputs are remembered (both generations; one input may be in both). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }
}
