import { expect } from 'chai';
import { isNativePromise, isPending } from '../../lib/promise.js';

describe('telling a backend answer from a value', function () {
  const values = [undefined, null, 0, '', 'text', { then: 1 }, { a: 1 }, [1], new Uint8Array(1)];
  // Has a `then` method, so it is a thenable; not a promise.
  const thenable = { then(): void {} };

  it('isNativePromise: only promises of this realm, never a value or a mere thenable', function () {
    expect(isNativePromise(Promise.resolve(1))).to.equal(true);
    expect(isNativePromise((async () => 1)())).to.equal(true);
    for (const value of [...values, thenable]) expect(isNativePromise(value), String(value)).to.equal(false);
  });

  it('isPending: a synchronous backend pends only with a native promise; others with any thenable', function () {
    expect(isPending(Promise.resolve(1), true)).to.equal(true);
    expect(isPending(thenable, true)).to.equal(false);
    expect(isPending(thenable, false)).to.equal(true);
    for (const value of values.filter((v) => typeof v !== 'object' || v === null || !('then' in v))) {
      expect(isPending(value, true), String(value)).to.equal(false);
      expect(isPending(value, false), String(value)).to.equal(false);
    }
  });
});
