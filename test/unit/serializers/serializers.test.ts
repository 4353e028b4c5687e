import { expect } from 'chai';
import fc from 'fast-check';
import { JsonSerializer, NullSerializer, SerializationError, StringSerializer } from '../../../lib/index.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('serializers', function () {
  describe('JsonSerializer', function () {
    const json = new JsonSerializer();

    it('writes standard JSON text and reads text or UTF-8 bytes', function () {
      expect(json.dumps({ a: [1, 'é'] })).to.equal('{"a":[1,"é"]}');
      expect(json.loads('{"a":1}')).to.deep.equal({ a: 1 });
      expect(json.loads(utf8('{"é":null}'))).to.deep.equal({ é: null });
    });

    it('round-trips JSON values (property)', function () {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          expect(json.loads(json.dumps(value))).to.deep.equal(JSON.parse(JSON.stringify(value)));
        }),
      );
    });

    it('refuses values JSON cannot hold with SerializationError', function () {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const value of [() => 1, Symbol('s'), 1n, cyclic, undefined]) {
        expect(() => json.dumps(value))
          .to.throw(SerializationError)
          .with.property('serializer', 'json');
      }
    });

    it('refuses payloads that are not JSON, never returning a wrong value', function () {
      for (const payload of ['{', '', 'undefined', new Uint8Array([0xff, 0xfe])]) {
        expect(() => json.loads(payload)).to.throw(SerializationError);
      }
    });
  });

  describe('StringSerializer', function () {
    const text = new StringSerializer();

    it('stores strings and the string form of numbers, booleans and bigints', function () {
      expect(text.dumps('a')).to.equal('a');
      expect(text.dumps(1.5)).to.equal('1.5');
      expect(text.dumps(false)).to.equal('false');
      expect(text.dumps(12n)).to.equal('12');
      expect(text.loads(utf8('é'))).to.equal('é');
    });

    it('refuses objects rather than storing "[object Object]"', function () {
      for (const value of [{}, [], null, () => 1, Symbol('s')]) {
        expect(() => text.dumps(value)).to.throw(SerializationError);
      }
      expect(() => text.loads(new Uint8Array([0xc3]))).to.throw(SerializationError);
    });

    it('round-trips strings (property)', function () {
      fc.assert(
        fc.property(fc.string(), (value) => void expect(text.loads(text.dumps(value))).to.equal(value)),
      );
    });
  });

  describe('NullSerializer', function () {
    it('hands back the very same reference', function () {
      const value = { nested: [1] };
      const none = new NullSerializer();
      expect(none.loads(none.dumps(value))).to.equal(value);
    });
  });
});
