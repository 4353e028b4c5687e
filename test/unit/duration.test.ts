import { expect } from 'chai';
import fc from 'fast-check';
import { parseDuration } from '../../lib/index.js';
import { parseTtl } from '../../lib/duration.js';

describe('durations', function () {
  it('reads numbers as milliseconds and strings with units', function () {
    const cases: [number | string, number][] = [
      [250, 250],
      ['250ms', 250],
      ['30s', 30_000],
      ['5m', 300_000],
      ['2h', 7_200_000],
      ['1d', 86_400_000],
      ['1w', 604_800_000],
      ['1.5s', 1_500],
      [' 10 S ', 10_000],
      ['500', 500],
      [0.2, 1],
    ];
    for (const [input, ms] of cases) expect(parseDuration(input, 'ttl'), String(input)).to.equal(ms);
  });

  it('rejects negative, NaN, unparsable and non-duration values with a RangeError naming the option', function () {
    for (const bad of [-1, NaN, '-5s', 'soon', '5 minutes', '', '1e3', {}, [], true, null]) {
      expect(() => parseDuration(bad, 'timeout'), String(bad)).to.throw(RangeError, /^timeout/);
    }
  });

  it('treats 0, null and Infinity as "never" for ttls', function () {
    expect(parseTtl(0)).to.equal(0);
    expect(parseTtl(null)).to.equal(0);
    expect(parseTtl(Infinity)).to.equal(0);
  });

  it('parses every unit consistently (property)', function () {
    const unit = fc.constantFrom(['ms', 1], ['s', 1_000], ['m', 60_000], ['h', 3_600_000], ['d', 86_400_000]);
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), unit, (n, [suffix, factor]) => {
        expect(parseDuration(`${n}${suffix}`, 'ttl')).to.equal(n * factor);
      }),
    );
  });
});
