import { expect } from 'chai';
import fc from 'fast-check';
import { globToRegExp, toByteString } from '../../lib/glob.js';
import { globMatcher, isReservedKey } from '../../lib/index.js';

/**
 * A byte-level glob matcher written from Redis' rules (stringmatchlen in util.c), deliberately
 * naive: recursion over the bytes, no regexp. It was checked against redis-server 7.0 (SSCAN …
 * MATCH) on some 18 000 random patterns and keys, edge cases included, when it was written.
 */
function referenceMatch(pattern: Uint8Array, key: Uint8Array): boolean {
  const from = (i: number, j: number): boolean => {
    if (i === pattern.length) return j === key.length;
    if (pattern[i] === 0x2a) return from(i + 1, j) || (j < key.length && from(i, j + 1));
    if (j === key.length) return false;
    if (pattern[i] === 0x3f) return from(i + 1, j + 1);
    if (pattern[i] === 0x5b) {
      const { has, end } = byteClass(pattern, i + 1);
      return has(key[j]!) && from(end + 1, j + 1);
    }
    if (pattern[i] === 0x5c && i + 1 < pattern.length) i++;
    return pattern[i] === key[j] && from(i + 1, j + 1);
  };
  return from(0, 0);
}

// A class after its `[`: members, `\` escapes, ranges (ends compared as signed chars), an open end.
function byteClass(p: Uint8Array, start: number): { has: (byte: number) => boolean; end: number } {
  const signed = (byte: number): number => (byte > 127 ? byte - 256 : byte);
  const tests: ((byte: number) => boolean)[] = [];
  const has = (byte: number): boolean => tests.some((test) => test(byte)) !== negate;
  let i = start;
  const negate = p[i] === 0x5e;
  if (negate) i++;
  for (; ; i++) {
    if (i === p.length) return { has, end: p.length - 1 };
    const byte = p[i]!;
    if (byte === 0x5c && i + 1 < p.length) {
      const member = p[++i];
      tests.push((b) => b === member);
    } else if (byte === 0x5d) {
      return { has, end: i };
    } else if (i + 2 < p.length && p[i + 1] === 0x2d) {
      const [low, high] = [signed(byte), signed(p[i + 2]!)].sort((a, b) => a - b) as [number, number];
      tests.push((b) => signed(b) >= low && signed(b) <= high);
      i += 2;
    } else {
      tests.push((b) => b === byte);
    }
  }
}

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

describe('Redis-style globs', function () {
  const cases: [string, string[], string[]][] = [
    ['h?llo', ['hello', 'hallo', 'hxllo'], ['hllo', 'heello']],
    ['h*llo', ['hllo', 'heeeello', 'h:llo'], ['hell', 'xhllo']],
    ['h[ae]llo', ['hello', 'hallo'], ['hillo', 'hllo']],
    ['h[^e]llo', ['hallo', 'hbllo'], ['hello', 'hllo']],
    ['h[a-b]llo', ['hallo', 'hbllo'], ['hcllo']],
    ['h[b-a]llo', ['hallo', 'hbllo'], ['hcllo']],
    ['a\\*b', ['a*b'], ['axb', 'a\\*b']],
    ['[\\]]', [']'], ['\\']],
    ['new\nline*', ['new\nline', 'new\nlines'], ['newline']],
    ['a.b+c(d)', ['a.b+c(d)'], ['axb+c(d)', 'a.bbc(d)']],
    // As in Redis: a class left open runs to the end of the pattern (a trailing `[` matches nothing),
    ['x[', [], ['x[', 'x']],
    ['x[ab', ['xa', 'xb'], ['x[ab', 'x']],
    // `[]` matches nothing and `[^]` any byte, an escaped byte never starts a range,
    ['a[]', [], ['a', 'a]']],
    ['a[^]', ['ab', 'a]'], ['a']],
    ['[\\a-c]', ['a', '-', 'c'], ['b']],
    // and a range may end with `\` or `]`.
    ['[a-\\]', ['\\', ']', '^', 'a'], ['b', '[']],
    ['[a-]', ['a', ']', '`'], ['b', '-']],
  ];
  for (const [glob, yes, no] of cases) {
    it(`${JSON.stringify(glob)} matches ${yes.join(', ') || 'nothing'} and not ${no.join(', ')}`, function () {
      const regexp = globToRegExp(glob);
      const matcher = globMatcher(glob);
      for (const text of yes) {
        expect(regexp.test(text), text).to.equal(true);
        expect(matcher(text), text).to.equal(true);
      }
      for (const text of no) {
        expect(regexp.test(text), text).to.equal(false);
        expect(matcher(text), text).to.equal(false);
      }
    });
  }

  describe('over UTF-8 bytes, as Redis matches', function () {
    it('takes é as two bytes: h?llo leaves héllo alone, h??llo matches it', function () {
      expect(globMatcher('h?llo')('héllo')).to.equal(false);
      expect(globMatcher('h??llo')('héllo')).to.equal(true);
      expect(globMatcher('h*llo')('héllo')).to.equal(true);
      expect(globMatcher('h?llo')('hello')).to.equal(true);
    });

    it('counts every byte: one ? per byte of a character, a class matches one byte', function () {
      expect(globMatcher('????')('😀')).to.equal(true);
      expect(globMatcher('??')('😀')).to.equal(false);
      // `[é]` is a class of é's two bytes; it matches one of them, never the whole character.
      expect(globMatcher('[é]')('é')).to.equal(false);
      expect(globMatcher('[é]?')('é')).to.equal(true);
      expect(globMatcher('[^a]?')('é')).to.equal(true);
      expect(globMatcher('\\é')('é')).to.equal(true);
      expect(globMatcher('é:*')('é:1')).to.equal(true);
      expect(globMatcher('é:*')('e:1')).to.equal(false);
    });

    it('compares range ends as signed chars, as Redis does on x86-64', function () {
      // `[a-é]` is the range from "a" to é's first byte (0xc3, -61 as a signed char), so it runs
      // from -61 up to "a": every ASCII byte up to "a", and bytes 0xc3–0xff; then é's second byte.
      const matches = globMatcher('[a-é]');
      for (const key of ['a', 'Z', '0', '\x01']) expect(matches(key), key).to.equal(true);
      for (const key of ['b', 'z', 'é']) expect(matches(key), key).to.equal(false);
    });

    it('matches as the reference byte matcher does (property)', function () {
      const alphabet = [
        'a',
        'b',
        'h',
        'l',
        'o',
        '0',
        'é',
        '😀',
        'ÿ',
        'Ā',
        '*',
        '?',
        '[',
        ']',
        '^',
        '-',
        '\\',
      ];
      // Fragments too, so that ranges across ASCII and multi-byte characters, ranges ending in `]`
      // or `\`, and escapes inside classes come up often.
      const fragments = ['[a-', '[é-', '[^', '-é', '-a', '-]', '-\\', '\\]', 'a-ÿ', 'Ā-0'];
      const text = (minLength: number): fc.Arbitrary<string> =>
        fc
          .array(fc.oneof(fc.constantFrom(...alphabet), fc.constantFrom(...fragments)), {
            minLength,
            maxLength: 10,
          })
          .map((chars) => chars.join(''));
      // Keys are never empty (Redis itself special-cases the empty key); some are the pattern with
      // its wildcards filled in, so that many pairs match.
      const keyFor = (pattern: string): fc.Arbitrary<string> =>
        fc.oneof(
          text(1),
          fc
            .array(fc.constantFrom(...alphabet.slice(0, 10)), { minLength: 1, maxLength: 3 })
            .map((fill) => (pattern.replace(/[*?]/g, () => fill.join('')) || fill.join('')).slice(0, 24)),
        );
      fc.assert(
        fc.property(
          text(0).chain((pattern) =>
            fc.tuple(fc.constant(pattern), fc.array(keyFor(pattern), { maxLength: 8 })),
          ),
          ([pattern, keys]) => {
            const matcher = globMatcher(pattern);
            const regexp = globToRegExp(pattern);
            for (const key of keys) {
              const expected = referenceMatch(utf8(pattern), utf8(key));
              expect(matcher(key), `${JSON.stringify(pattern)} on ${JSON.stringify(key)}`).to.equal(expected);
              expect(regexp.test(toByteString(key))).to.equal(expected);
            }
          },
        ),
        { numRuns: 2_000 },
      );
    });

    it('turns only non-ASCII text into bytes', function () {
      expect(toByteString('user:42')).to.equal('user:42');
      expect(toByteString('é')).to.equal('\u00c3\u00a9');
      expect(toByteString('😀')).to.equal('\u00f0\u009f\u0098\u0080');
    });
  });

  describe("larder's reserved keys", function () {
    it('are left out unless the pattern starts with their prefix', function () {
      expect(isReservedKey('__larder:lock:k')).to.equal(true);
      expect(isReservedKey('app:__larder:lock:k')).to.equal(false);
      expect(globMatcher('*')('__larder:lock:k')).to.equal(false);
      expect(globMatcher('?_larder:*')('__larder:lock:k')).to.equal(false);
      expect(globMatcher('*')('app:__larder:lock:k')).to.equal(true);
      expect(globMatcher('__larder:*')('__larder:lock:k')).to.equal(true);
      expect(globMatcher('__larder:lock:?')('__larder:lock:é')).to.equal(false);
    });
  });
});
