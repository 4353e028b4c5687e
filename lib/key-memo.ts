import { KeyHandle } from './backends/backend.js';

// Remembers the strings built from recent keys, so that a hot key maps to the very same string on
// every call. A string built afresh (`prefix + key`, a cached() call key) must be flattened and
// hashed before a Map can look it up: about 200 ns for a 20-character key, ten times the lookup
// itself. A remembered string carries its hash; and a remembered key also carries where the memory
// backend found its entry last, so a cached() hit can skip the backend's hash lookup too (the
// second lookup and its cache misses were most of what a hit with default keys still cost).

/**
 * Inputs the memo holds at least: as many keys as a memory backend holds by default. A cache
 * over a larger memory backend sizes its memo to the backend (see {@link memoLimitFor}), so that
 * a whole cache's worth of keys can be hot. It costs memory only as keys are used: a Map entry and
 * a small record per input (about 60 bytes), and the string, which the backend holds anyway when
 * the write went through the memo.
 */
export const KEY_MEMO_LIMIT = 10_000;

/**
 * The memo size for a cache over `backend`, asked again at each sweep: the memory backend's
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

// A sweep that found more misses than hits since the one before was no help: the memo is passed
// by (keys built afresh, nothing more remembered) for this many memos' worth of inputs, doubled
// each time it turns out no help again, up to MAX_BYPASS_ROUNDS.
const MAX_BYPASS_ROUNDS = 64;

/**
 * The longest string input worth remembering: keys are rarely longer, and the bound keeps a full
 * memo's memory bounded too (a few MB at most, about 1 MB for typical 30-character keys).
 */
export const KEY_MEMO_MAX_LENGTH = 200;

/** A remembered key, marked when it is found again so that a sweep keeps it. */
class RememberedKey extends KeyHandle {
  used = false;
}

/**
 * Remembered keys by input, for at most `limit` inputs, kept by the clock (second-chance) rule: a
 * find marks the key, and when the memo is full a sweep drops every key found no more since the
 * sweep before and unmarks the rest. A find is then one Map lookup and one store, whatever the
 * size; an earlier two-generation memo moved every key found in its older half to the younger one,
 * a Map insertion on most finds once the keys in use neared the limit (a 1M-key cache read in turn
 * paid a lookup, a miss and an insertion per get).
 */
export class KeyMemo<I> {
  readonly #limitOf: () => number;
  #limit: number;
  readonly #build: (input: I) => string;
  readonly #remembered = new Map<I, RememberedKey>();
  // Finds and misses since the last sweep.
  #hits = 0;
  #misses = 0;
  // Inputs still to pass by, and how many memos' worth the next bypass lasts.
  #bypassing = 0;
  #bypassRounds = 1;
  // Whether a sweep has happened since the memo was last empty or passed by: only then do misses
  // say the memo is too small (before the first, it fills from nothing).
  #warm = false;

  /**
   * @param limit - inputs the memo holds at most, or a function asked at each sweep.
   * @param build - makes the string for an input; it must depend on nothing else.
   */
  constructor(limit: number | (() => number), build: (input: I) => string) {
    this.#limitOf = typeof limit === 'number' ? () => limit : limit;
    this.#limit = Math.max(1, this.#limitOf());
    this.#build = build;
  }

  /**
   * The remembered key for `input`, made (and remembered) if there is none. A string input longer
   * than {@link KEY_MEMO_MAX_LENGTH} gets a key made afresh and never remembered, and so does
   * every new input while the memo is passed by (the inputs in use outnumber what it holds).
   */
  get(input: I): KeyHandle {
    if (typeof input === 'string' && input.length > KEY_MEMO_MAX_LENGTH) {
      return new RememberedKey(this.#build(input));
    }
    const found = this.#remembered.get(input);
    if (found !== undefined) {
      found.used = true;
      this.#hits++;
      return found;
    }
    const made = new RememberedKey(this.#build(input));
    if (this.#bypassing > 0) {
      if (--this.#bypassing === 0) this.#restart();
      return made;
    }
    this.#misses++;
    if (this.#remembered.size >= this.#limit) this.#sweep();
    if (this.#bypassing === 0) this.#remembered.set(input, made);
    return made;
  }

  /** How many inputs are remembered. */
  get size(): number {
    return this.#remembered.size;
  }

  // Drops the keys not found since the last sweep and unmarks the others; if that leaves the memo
  // more than three quarters full (nearly every key in use), drops the longest-remembered too, so
  // that a sweep always frees a quarter and costs O(1) per remembered key over time.
  #sweep(): void {
    const remembered = this.#remembered;
    if (this.#warm && this.#misses > this.#hits) {
      // Mostly misses: the keys in use outnumber what the memo holds, and remembering them costs
      // more than it saves. Pass it by for a while; then try again.
      this.#bypassing = this.#limit * this.#bypassRounds;
      this.#bypassRounds = Math.min(this.#bypassRounds * 2, MAX_BYPASS_ROUNDS);
      remembered.clear();
      return;
    }
    if (this.#warm) this.#bypassRounds = 1;
    for (const [input, key] of remembered) {
      if (key.used) key.used = false;
      else remembered.delete(input);
    }
    this.#limit = Math.max(1, this.#limitOf());
    const keep = Math.floor((this.#limit * 3) / 4);
    if (remembered.size > keep) {
      let excess = remembered.size - keep;
      for (const input of remembered.keys()) {
        remembered.delete(input);
        if (--excess === 0) break;
      }
    }
    this.#warm = true;
    this.#hits = 0;
    this.#misses = 0;
  }

  // After a bypass: remember afresh, judging again only after the next sweep.
  #restart(): void {
    this.#warm = false;
    this.#hits = 0;
    this.#misses = 0;
    this.#limit = Math.max(1, this.#limitOf());
  }
}
