import { expect } from 'chai';
import {
  JsonSerializer,
  MsgpackSerializer,
  SerializationError,
  StructuredCloneSerializer,
} from '../../../lib/index.js';

// Issue 14: a serializer either gives a value back exactly or refuses it, naming where it sits;
// it never hands back a different value (a 1970 date, a Uint8Array for a Float64Array, a null).
describe('serializers: exact or refused, never changed', function () {
  const refusal = (run: () => unknown, serializer: string, message: RegExp): void => {
    expect(run).to.throw(SerializationError, message).with.property('serializer', serializer);
  };

  describe('json', function () {
    const json = new JsonSerializer();

    it('refuses NaN and ±Infinity, naming the path, instead of storing null', function () {
      refusal(() => json.dumps(NaN), 'json', /cannot encode NaN: JSON would store it as null/);
      refusal(() => json.dumps({ items: [1, 2, 3, Infinity] }), 'json', /Infinity at value\.items\[3\]/);
      refusal(() => json.dumps({ 'a b': { c: -Infinity } }), 'json', /-Infinity at value\["a b"\]\.c/);
    });

    it('refuses an invalid Date (its toJSON() is null), and the same inside a toJSON() result', function () {
      refusal(() => json.dumps({ at: new Date(NaN) }), 'json', /an invalid Date at value\.at/);
      const wrapped = { toJSON: () => ({ n: NaN }) };
      refusal(() => json.dumps([wrapped]), 'json', /NaN at value\[0\]\.n/);
    });

    it('still writes real nulls, and "null" inside strings, as they are', function () {
      const value = { a: null, b: ['null', null], c: { d: 1.5, e: new Date(0) } };
      expect(json.dumps(value)).to.equal(JSON.stringify(value));
      expect(json.loads(json.dumps(value))).to.deep.equal(JSON.parse(JSON.stringify(value)));
    });
  });

  describe('msgpack', function () {
    const msgpack = new MsgpackSerializer();
    const roundTrip = (value: unknown): unknown => msgpack.loads(msgpack.dumps(value));

    it('refuses an invalid Date, naming the path, instead of storing 1970', function () {
      refusal(() => msgpack.dumps(new Date(NaN)), 'msgpack', /cannot encode an invalid Date:/);
      refusal(
        () => msgpack.dumps({ items: [1, { at: new Date(NaN) }] }),
        'msgpack',
        /an invalid Date at value\.items\[1\]\.at/,
      );
      refusal(
        () => msgpack.dumps({ m: new Map([['k', new Date(NaN)]]) }),
        'msgpack',
        /an invalid Date at value\.m\.get\("k"\)/,
      );
    });

    it('gives typed arrays, DataView and ArrayBuffer back as what they were', function () {
      const views = [
        new Float64Array([1.5, -0, NaN, Infinity]),
        new Float32Array([0.5, -2]),
        new Int8Array([-1, 2]),
        new Uint8ClampedArray([0, 255]),
        new Int16Array([-300, 300]),
        new Uint16Array([65_535]),
        new Int32Array([-(2 ** 31)]),
        new Uint32Array([2 ** 32 - 1]),
        new BigInt64Array([-(2n ** 63n)]),
        new BigUint64Array([2n ** 64n - 1n]),
      ];
      for (const view of views) {
        const back = roundTrip({ view }) as { view: ArrayBufferView };
        expect(back.view).to.be.instanceOf(view.constructor);
        expect(back.view).to.deep.equal(view);
      }
      const buffer = new Uint8Array([1, 2, 3]).buffer;
      const dataView = new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2);
      const back = roundTrip([buffer, dataView]) as [ArrayBuffer, DataView];
      expect(back[0]).to.be.instanceOf(ArrayBuffer);
      expect([...new Uint8Array(back[0])]).to.deep.equal([1, 2, 3]);
      expect(back[1]).to.be.instanceOf(DataView);
      expect([back[1].getUint8(0), back[1].getUint8(1), back[1].byteLength]).to.deep.equal([8, 7, 2]);
    });

    it('keeps only the bytes of a view into a larger buffer, in its own aligned memory', function () {
      const whole = new Float64Array([1, 2, 3, 4]);
      const back = roundTrip(whole.subarray(1, 3)) as Float64Array;
      expect([...back]).to.deep.equal([2, 3]);
      expect(back.buffer.byteLength).to.equal(16);
    });

    it('still writes Uint8Array as msgpack bin and Buffer as its own type', function () {
      expect(roundTrip(new Uint8Array([1])))
        .to.be.instanceOf(Uint8Array)
        .and.not.instanceOf(Buffer);
      expect(Buffer.isBuffer(roundTrip(Buffer.from('x')))).to.equal(true);
    });

    it('refuses a SharedArrayBuffer rather than storing an empty map', function () {
      refusal(
        () => msgpack.dumps({ s: new SharedArrayBuffer(2) }),
        'msgpack',
        /SharedArrayBuffer at value\.s/,
      );
    });
  });

  describe('structured-clone', function () {
    it('keeps what msgpack and JSON refuse: NaN, ±Infinity, invalid Dates, typed arrays', function () {
      const clone = new StructuredCloneSerializer();
      const value = { n: NaN, i: -Infinity, d: new Date(NaN), f: new Float64Array([1.5]) };
      const back = clone.loads(clone.dumps(value)) as typeof value;
      expect(Number.isNaN(back.n)).to.equal(true);
      expect(back.i).to.equal(-Infinity);
      expect(Number.isNaN(back.d.getTime())).to.equal(true);
      expect(back.f).to.be.instanceOf(Float64Array).and.deep.equal(value.f);
    });
  });
});
