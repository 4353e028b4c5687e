import { RESERVED_KEY_PREFIX } from './backends/backend.js';

/**
 * Compiles a Redis-style glob (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`) into an anchored RegExp,
 * following Redis' `stringmatchlen`: ranges may be written backwards, `\` escapes inside and outside
 * classes, and an unterminated `[` is taken literally.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      source += '.*';
    } else if (ch === '?') {
      source += '.';
    } else if (ch === '\\' && i + 1 < glob.length) {
      source += escapeRegExp(glob[++i]!);
    } else if (ch === '[') {
      const parsed = parseClass(glob, i + 1);
      if (parsed === undefined) {
        source += '\\[';
      } else {
        source += parsed.source;
        i = parsed.end;
      }
    } else {
      source += escapeRegExp(ch);
    }
  }
  return new RegExp(`${source}$`, 's');
}

function parseClass(glob: string, start: number): { source: string; end: number } | undefined {
  let i = start;
  let negate = false;
  if (glob[i] === '^') {
    negate = true;
    i++;
  }
  let members = '';
  for (; i < glob.length; i++) {
    let ch = glob[i]!;
    if (ch === ']') {
      // `[]` and `[^]` match nothing (or anything, negated), as in Redis.
      return {
        source: members === '' ? (negate ? '[\\s\\S]' : '(?!)') : `[${negate ? '^' : ''}${members}]`,
        end: i,
      };
    }
    if (ch === '\\' && i + 1 < glob.length) ch = glob[++i]!;
    if (glob[i + 1] === '-' && i + 2 < glob.length && glob[i + 2] !== ']') {
      let to = glob[i + 2]!;
      i += 2;
      if (to === '\\' && i + 1 < glob.length) to = glob[++i]!;
      const [low, high] = ch <= to ? [ch, to] : [to, ch];
      members += `${escapeClassChar(low)}-${escapeClassChar(high)}`;
    } else {
      members += escapeClassChar(ch);
    }
  }
  return undefined;
}

function escapeRegExp(ch: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(ch) ? `\\${ch}` : ch;
}

function escapeClassChar(ch: string): string {
  return /[\\\]^[-]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * A matcher of final keys against a Redis-style glob, as a backend's `scan` and `deletePattern`
 * must match them: larder's own keys (under `__larder:`, see RESERVED_KEY_PREFIX) are left out
 * unless the pattern itself starts with that prefix, so a root cache's `deletePattern('*')` never
 * removes another process's lock.
 */
export function globMatcher(pattern: string): (key: string) => boolean {
  const regexp = globToRegExp(pattern);
  if (pattern.startsWith(RESERVED_KEY_PREFIX)) return (key) => regexp.test(key);
  return (key) => !key.startsWith(RESERVED_KEY_PREFIX) && regexp.test(key);
}

/** Whether a final key is one of larder's own (see RESERVED_KEY_PREFIX). */
export function isReservedKey(key: string): boolean {
  return key.startsWith(RESERVED_KEY_PREFIX);
}
