import { expect } from 'chai';
import fc from 'fast-check';
import { defaultKeyBuilder } from '../../lib/index.js';
import { escapeGlob, keyAffixes, normalizeKey } from '../../lib/keys.js';
import { globToRegExp } from '../../lib/glob.js';

describe('keys', function () {
  it('joins namespace, version and key with ":"', function () {
    expect(defaultKeyBuilder('k')).to.equal('k');
    expect(defaultKeyBuilder('k', 'ns')).to.equal('ns:k');
    expect(defaultKeyBuilder('k', 'ns', '2')).to.equal('ns:2:k');
    expect(defaultKeyBuilder('k', undefined, '2')).to.equal('2:k');
  });

  it('accepts non-empty strings and finite numbers only', function () {
    expect(normalizeKey('a')).to.equal('a');
    expect(normalizeKey(12.5)).to.equal('12.5');
    expect(normalizeKey(-0)).to.equal('0');
    for (const bad of ['', NaN, Infinity, null, undefined, {}, [], true, 1n]) {
      expect(() => normalizeKey(bad), String(bad)).to.throw(TypeError, /non-empty string or a finite number/);
    }
  });

  it('finds the prefix and suffix a key builder puts around keys', function () {
    expect(keyAffixes(defaultKeyBuilder, 'ns', '3')).to.deep.equal({ prefix: 'ns:3:', suffix: '' });
    expect(keyAffixes((k, ns) => `${ns}[${k}]`, 'a', undefined)).to.deep.equal({ prefix: 'a[', suffix: ']' });
    expect(() => keyAffixes(() => 'constant', 'ns', undefined)).to.throw(TypeError, /exactly once/);
    expect(() => keyAffixes((k) => k + k, 'ns', undefined)).to.throw(TypeError, /exactly once/);
  });

  it('builds keys that embed the key verbatim (property)', function () {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        (key, namespace, version) => {
          const { prefix, suffix } = keyAffixes(defaultKeyBuilder, namespace, version);
          expect(defaultKeyBuilder(key, namespace, version)).to.equal(prefix + key + suffix);
        },
      ),
    );
  });

  it('escapes glob characters so text matches only itself (property)', function () {
    fc.assert(
      fc.property(fc.string(), fc.string(), (text, other) => {
        const matcher = globToRegExp(escapeGlob(text));
        expect(matcher.test(text)).to.equal(true);
        expect(matcher.test(other)).to.equal(other === text);
      }),
    );
  });
});
