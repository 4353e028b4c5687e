import { KeyHandle } from './backends/backend.js';

// Remembers the strings built from recent keys, so that a hot key maps to the very same string on
// every call. A string built afresh (`prefix + key`, a cached() call key) must be flattened and
// hashed before a Map can look it up: about 200 ns for a 20-character key, ten times the lookup
// itself. A remembered string carries its hash; and a remembered key also carries where the memory
// backend found its entry last, so a cached() hit can skip the backend's hash lookup too (the
// second lookup and its cache misses were most of what a hit with default keys still cost).

/**
 * Inputs a generation holds at least: as many keys as a memory backend holds by default. A cache
 * over a larger memory backend sizes its memo to the backend (see {@link memoLimitFor}), so that
 * a whole cache's worth of keys can be hot. It costs memory only as keys are used: a Map entry and
 * a small record per input (about 60 bytes), and the string, which the backend holds anyway when
 * the write went through the memo.
 */
export const KEY_MEMO_LIMIT = 10_000;

/**
 * The memo size for a cache over `backend`, asked again at each turnover: the memory backend's
 * `maxSize` when that is a finite number above {@link KEY_MEMO_LIMIT}; with no finite `maxSize`
 * (bounded by `maxBytes` only), as many as it holds now; else KEY_MEMO_LIMIT. A memo smaller than
 * the set of keys in use would miss on nearly every call once they are read in turn, and then
 * cost more than building the key afresh.
 */
export function memoLimitFor(backend: object): () => number {
  const sized = backend as { readonly maxSize?: unknown; readonly size?: unknown };
  return () => {
    const { maxSize } = sized;
    if (typeof maxSize !== 'number') return KEY_MEMO_LIMIT;
    const bound = Number.isFinite(maxSize) ? maxSize : typeof sized.size === 'number' ? sized.size : 0;
    return Math.max(bound, KEY_MEMO_LIMIT);
  };
}

// A generation that turned over with more misses than hits was no help: the memo is passed by
// (keys built afresh, nothing remembered) for this many generations' worth of inputs, doubled
// each time it turns out no help again, up to MAX_BYPASS_ROUNDS.
const MAX_BYPASS_ROUNDS = 64;

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
  readonly #limitOf: () => number;
  #limit: number;
  readonly #build: (input: I) => string;
  #young = new Map<I, KeyHandle>();
  #old = new Map<I, KeyHandle>();
  // Finds and misses since the young generation was started.
  #hits = 0;
  #misses = 0;
  // Inputs still to pass by, and how many generations' worth the next bypass lasts.
  #bypassing = 0;
  #bypassRounds = 1;
  // Whether the young generation started with a full old one behind it: only then do its misses
  // say the memo is too small (a generation after a start, or a bypass, fills from nothing).
  #warm = false;

  /**
   * @param limit - inputs each generation holds, or a function asked at each turnover.
   * @param build - makes the string for an input; it must depend on nothing else.
   */
  constructor(limit: number | (() => number), build: (input: I) => string) {
    this.#limitOf = typeof limit === 'number' ? () => limit : limit;
    this.#limit = this.#limitOf();
    this.#build = build;
  }

  /**
   * The remembered key for `input`, made (and remembered) if there is none. A string input longer
   * than {@link KEY_MEMO_MAX_LENGTH} gets a key made afresh and never remembered, and so does
   * every input while the memo is passed by (the inputs in use outnumber what it holds).
   */
  get(input: I): KeyHandle {
    if (typeof input === 'string' && input.length > KEY_MEMO_MAX_LENGTH) {
      return new KeyHandle(this.#build(input));
    }
    const young = this.#young.get(input);
    if (young !== undefined) {
      this.#hits++;
      return young;
    }
    if (this.#bypassing > 0) {
      if (--this.#bypassing === 0) this.#turnOver();
      return new KeyHandle(this.#build(input));
    }
    let remembered = this.#old.get(input);
    if (remembered !== undefined) this.#hits++;
    else {
      this.#misses++;
      remembered = new KeyHandle(this.#build(input));
    }
    if (this.#young.size >= this.#limit) {
      // Mostly misses: the keys in use outnumber what the memo holds, and remembering them costs
      // more than it saves. Pass it by for a while; then try again.
      if (this.#warm && this.#misses > this.#hits) {
        this.#bypassing = this.#limit * this.#bypassRounds;
        this.#bypassRounds = Math.min(this.#bypassRounds * 2, MAX_BYPASS_ROUNDS);
      } else {
        this.#bypassRounds = 1;
      }
      this.#turnOver();
    }
    this.#young.set(input, remembered);
    return remembered;
  }

  /** How many inputs are remembered (both generations; one input may be in both). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  #turnOver(): void {
    this.#old = this.#young;
    this.#young = new Map();
    this.#warm = this.#old.size >= this.#limit / 2;
    this.#limit = this.#limitOf();
    this.#hits = 0;
    this.#misses = 0;
  }
}
