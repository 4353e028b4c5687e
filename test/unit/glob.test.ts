import { expect } from 'chai';
import { globToRegExp } from '../../lib/glob.js';

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
    ['x[', ['x['], ['x']],
    ['new\nline*', ['new\nline', 'new\nlines'], ['newline']],
    ['a.b+c(d)', ['a.b+c(d)'], ['axb+c(d)', 'a.bbc(d)']],
  ];
  for (const [glob, yes, no] of cases) {
    it(`${JSON.stringify(glob)} matches ${yes.join(', ')} and not ${no.join(', ')}`, function () {
      const matcher = globToRegExp(glob);
      for (const text of yes) expect(matcher.test(text), text).to.equal(true);
      for (const text of no) expect(matcher.test(text), text).to.equal(false);
    });
  }
});
