import { RESERVED_KEY_PREFIX } from './backends/backend.js';

// Redis matches a glob against a key byte by byte (stringmatchlen in its util.c): `?` and a class
// each match one byte, ranges compare bytes, and `\` escapes one byte. So here both are compared as
// byte strings: the UTF-8 bytes of the text, one character (code unit 0–255) per byte, as latin1
// decoding gives them. `h?llo` then leaves `héllo` alone (é is two bytes) as Redis does, and
// `h??llo` matches it. ASCII text is its own byte string, so the common case converts nothing.

const NON_ASCII = /[\u0080-\uffff]/;

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const BACKSLASH = 0x5c;
const CARET = 0x5e;
const DASH = 0x2d;

/**
 * The UTF-8 bytes of `text` as a string of one character per byte (code units 0–255), what
 * {@link globToRegExp}'s expressions are tested on. ASCII text comes back as it is.
 */
export function toByteString(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/**
 * Compiles a Redis-style glob (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`) into an anchored RegExp
 * over byte strings: test it on `toByteString(key)`, or use {@link globMatcher}, which does. It
 * follows Redis' `stringmatchlen` byte for byte: a range may be written backwards and compares bytes
 * as signed chars, as Redis does on x86-64 (so a range from an ASCII byte to a byte of a multi-byte
 * character wraps around, as there); `\` escapes the next byte inside and outside classes (inside a
 * class, the escaped byte is a member and never starts a range); `[]` matches nothing and `[^]` any
 * byte; a class left open runs to the end of the pattern, so a trailing `[` matches nothing.
 */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(compile(toByteString(glob)).source, 's');
}

/**
 * A matcher of final keys against a Redis-style glob, matching over UTF-8 bytes as Redis does (see
 * {@link globToRegExp}): what a backend's `scan` and `deletePattern` must answer. larder's own keys
 * (under `__larder:`, see {@link isReservedKey}) are left out unless the pattern itself starts with
 * that prefix, so a root cache's `deletePattern('*')` never removes another process's lock.
 *
 * @param pattern - the glob, over whole final keys (namespace included).
 * @returns a predicate; build it once per pattern and call it per key.
 * @example
 * ```ts
 * const matches = globMatcher('user:*');
 * for (const key of this.#keys()) if (matches(key)) this.#delete(key);
 * ```
 */
export function globMatcher(pattern: string): (key: string) => boolean {
  const bytes = toByteString(pattern);
  const { source, perByte } = compile(bytes);
  const regexp = new RegExp(source, 's');
  // With ASCII literals and `*` only, a key's UTF-16 text matches exactly when its bytes do (UTF-8
  // never puts an ASCII byte inside a multi-byte character), so the key need not be converted.
  const test =
    perByte || bytes !== pattern
      ? (key: string) => regexp.test(toByteString(key))
      : (key: string) => regexp.test(key);
  if (pattern.startsWith(RESERVED_KEY_PREFIX)) return test;
  return (key) => !key.startsWith(RESERVED_KEY_PREFIX) && test(key);
}

/**
 * Whether a final key is one of larder's own bookkeeping keys (locks), under `__larder:`, which
 * `scan`, `deletePattern` and `clear` of a namespace must never touch.
 *
 * @param key - a final key, as the backend stores it.
 */
export function isReservedKey(key: string): boolean {
  return key.startsWith(RESERVED_KEY_PREFIX);
}

// The expression for a byte string glob, and whether it has `?` or a class (what matches one byte).
function compile(glob: string): { source: string; perByte: boolean } {
  let source = '^';
  let perByte = false;
  let afterStar = false;
  for (let i = 0; i < glob.length; i++) {
    const byte = glob.charCodeAt(i);
    if (byte === STAR) {
      // A run of stars is one `.*` (each more would only add backtracking).
      if (!afterStar) source += '.*';
      afterStar = true;
      continue;
    }
    afterStar = false;
    if (byte === QUESTION) {
      source += '.';
      perByte = true;
    } else if (byte === OPEN) {
      const parsed = parseClass(glob, i + 1);
      source += parsed.source;
      i = parsed.end;
      perByte = true;
    } else {
      if (byte === BACKSLASH && i + 1 < glob.length) i++;
      source += byteSource(glob.charCodeAt(i));
    }
  }
  return { source: `${source}$`, perByte };
}

// A class starting after its `[`, read as stringmatchlen reads it; `end` is its last byte's index.
function parseClass(glob: string, start: number): { source: string; end: number } {
  const n = glob.length;
  let i = start;
  const negate = i < n && glob.charCodeAt(i) === CARET;
  if (negate) i++;
  const members = new Array<boolean>(256).fill(false);
  for (; ; i++) {
    const byte = glob.charCodeAt(i);
    if (n - i >= 2 && byte === BACKSLASH) {
      members[glob.charCodeAt(++i)] = true;
    } else if (i === n) {
      // Left open: the class ends with the pattern.
      i--;
      break;
    } else if (byte === CLOSE) {
      break;
    } else if (n - i >= 3 && glob.charCodeAt(i + 1) === DASH) {
      addRange(members, byte, glob.charCodeAt(i + 2));
      i += 2;
    } else {
      members[byte] = true;
    }
  }
  return { source: classSource(members, negate), end: i };
}

// Redis compares range ends as (signed) chars: bytes 0x80–0xff are -128…-1, below every ASCII byte.
function addRange(members: boolean[], from: number, to: number): void {
  let low = (from << 24) >> 24;
  let high = (to << 24) >> 24;
  if (low > high) [low, high] = [high, low];
  for (let byte = 0; byte < 256; byte++) {
    const signed = (byte << 24) >> 24;
    if (signed >= low && signed <= high) members[byte] = true;
  }
}

function classSource(members: readonly boolean[], negate: boolean): string {
  let source = '';
  for (let byte = 0; byte < 256; byte++) {
    if (members[byte] === negate) continue;
    let last = byte;
    while (last < 255 && members[last + 1] !== negate) last++;
    source += last === byte ? byteSource(byte) : `${byteSource(byte)}-${byteSource(last)}`;
    byte = last;
  }
  return source === '' ? '(?!)' : `[${source}]`;
}

function byteSource(byte: number): string {
  const ch = String.fromCharCode(byte);
  return /[0-9A-Za-z]/.test(ch) ? ch : `\\x${byte.toString(16).padStart(2, '0')}`;
}
