import { expect } from 'chai';
import fc from 'fast-check';
import { decode as msgpackDecode } from '@msgpack/msgpack';
import { deserialize } from 'node:v8';
import {
  JsonSerializer,
  MsgpackSerializer,
  SerializationError,
  StringSerializer,
  StructuredCloneSerializer,
  type BaseSerializer,
  type SerializerOptions,
} from '../../../lib/index.js';

const SECRET = 'a-test-secret-of-reasonable-length!';

/** Every option set a serializer is tested with: plain, compressed (each algorithm), signed, both. */
const OPTION_SETS: [string, SerializerOptions][] = [
  ['plain', {}],
  ['gzip', { compress: 'gzip', compressThreshold: 0 }],
  ['deflate', { compress: 'deflate', compressThreshold: 0 }],
  ['brotli', { compress: 'brotli', compressThreshold: 0 }],
  ['signed', { secret: SECRET }],
  ['gzip + signed', { compress: 'gzip', compressThreshold: 0, secret: SECRET }],
];

// Object keys for generated values. chai's deep equality sorts Set and Map members by their string
// form, which throws for an object whose own `toString` or `valueOf` is not a function, so keys
// never shadow Object.prototype; `__proto__` has tests of its own below.
const objectKey = fc.string().filter((key) => !(key in Object.prototype));

// Values msgpack keeps exactly: JSON-ish values plus Date, Map, Set, BigInt, Uint8Array, Buffer and
// the other binary views.
const msgpackValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: false, noDefaultInfinity: false }).filter((n) => !Object.is(n, -0)),
    fc.string(),
    fc.bigInt(),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array().map((bytes) => new Uint8Array(bytes)),
    fc.uint8Array().map((bytes) => Buffer.from(bytes)),
    fc.float64Array(),
    fc.int16Array(),
    fc.uint32Array(),
    fc.bigInt64Array(),
  ),
  value: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(objectKey, tie('value'), { maxKeys: 4, noNullPrototype: true }),
    fc.array(fc.tuple(tie('leaf'), tie('value')), { maxLength: 4 }).map((pairs) => new Map(pairs)),
    fc.array(tie('leaf'), { maxLength: 4 }).map((items) => new Set(items)),
  ),
})).value;

// Values structured clone keeps exactly, -0 and undefined included.
const cloneValue = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  maxDepth: 3,
  key: objectKey,
});

const jsonValue = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);

const SERIALIZERS: [string, (options: SerializerOptions) => BaseSerializer, fc.Arbitrary<unknown>][] = [
  ['json', (options) => new JsonSerializer(options), jsonValue],
  ['string', (options) => new StringSerializer(options), fc.string()],
  ['msgpack', (options) => new MsgpackSerializer(options), msgpackValue],
  ['structured-clone', (options) => new StructuredCloneSerializer(options), cloneValue],
];

describe('serializers: round trips, compression and signatures', function () {
  for (const [name, make, domain] of SERIALIZERS) {
    describe(name, function () {
      for (const [label, options] of OPTION_SETS) {
        it(`loads(dumps(v)) deep-equals v (property, ${label})`, function () {
          const serializer = make(options);
          fc.assert(
            fc.property(domain, (value) => {
              expect(serializer.loads(serializer.dumps(value))).to.deep.equal(value);
            }),
            { numRuns: 150 },
          );
        });
      }

      it('refuses a payload whose one byte was flipped, that was truncated, or signed with another secret', function () {
        const signer = make({ secret: SECRET });
        const payload = signer.dumps(name === 'string' ? 'some text' : { some: 'value', n: 1 }) as Uint8Array;
        for (let at = 0; at < payload.byteLength; at++) {
          const flipped = Uint8Array.from(payload);
          flipped[at]! ^= 0x01;
          expect(() => signer.loads(flipped), `byte ${at}`).to.throw(SerializationError);
        }
        for (const length of [0, 3, 4, 20, payload.byteLength - 1]) {
          expect(() => signer.loads(payload.subarray(0, length)), `length ${length}`).to.throw(
            SerializationError,
          );
        }
        expect(() => make({ secret: 'another secret' }).loads(payload)).to.throw(
          SerializationError,
          /does not verify/,
        );
        expect(() => make({}).loads(payload)).to.throw(SerializationError);
      });

      it('never deserializes an unsigned payload when a secret is set', function () {
        const plainPayload = make({}).dumps(name === 'string' ? 'text' : { a: 1 });
        const compressed = make({ compress: 'gzip', compressThreshold: 0 }).dumps(
          name === 'string' ? 'text' : { a: 1 },
        );
        const signer = make({ secret: SECRET });
        expect(() => signer.loads(plainPayload)).to.throw(SerializationError);
        expect(() => signer.loads(compressed)).to.throw(SerializationError, /not signed/);
      });
    });
  }

  describe('payload formats', function () {
    const sample = { id: 42, name: 'Ada', tags: ['x', 'y'] };

    it('without options, payloads are the formats’ own: JSON text, standard msgpack, V8 bytes', function () {
      expect(new JsonSerializer().dumps(sample)).to.equal(JSON.stringify(sample));
      expect(msgpackDecode(new MsgpackSerializer().dumps(sample) as Uint8Array)).to.deep.equal(sample);
      expect(deserialize(new StructuredCloneSerializer().dumps(sample) as Uint8Array)).to.deep.equal(sample);
    });

    it('compresses only from compressThreshold up, and says so in the header', function () {
      const serializer = new JsonSerializer({ compress: 'gzip', compressThreshold: 100 });
      const small = serializer.dumps({ a: 1 }) as Uint8Array;
      const large = serializer.dumps({ text: 'x'.repeat(2_000) }) as Uint8Array;
      expect(small[3]).to.equal(0);
      expect(large[3]).to.equal(1);
      expect(large.byteLength).to.be.below(200);
      expect(serializer.loads(small)).to.deep.equal({ a: 1 });
      expect(serializer.loads(large)).to.deep.equal({ text: 'x'.repeat(2_000) });
      expect(serializer.enveloped).to.equal(true);
      expect(new JsonSerializer().enveloped).to.equal(false);
    });

    it('reads payloads compressed with any algorithm, whatever its own setting', function () {
      const written = new JsonSerializer({ compress: 'brotli', compressThreshold: 0 }).dumps(sample);
      expect(new JsonSerializer({ compress: 'gzip' }).loads(written)).to.deep.equal(sample);
    });

    it('refuses a payload that would decompress past maxDecompressedBytes', function () {
      const bomb = new StringSerializer({ compress: 'gzip', compressThreshold: 0 }).dumps(
        '0'.repeat(1_000_000),
      );
      expect(() =>
        new StringSerializer({ compress: 'gzip', maxDecompressedBytes: 10_000 }).loads(bomb),
      ).to.throw(SerializationError, /decompressed/);
    });
  });

  describe('what each serializer refuses', function () {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;

    it('msgpack: functions, symbols, cycles and undefined', function () {
      for (const value of [() => 1, Symbol('s'), cyclic, undefined, { f: () => 1 }]) {
        expect(() => new MsgpackSerializer().dumps(value))
          .to.throw(SerializationError)
          .with.property('serializer', 'msgpack');
      }
    });

    it('msgpack: a stored object with a __proto__ key is refused, never merged into a prototype', function () {
      const serializer = new MsgpackSerializer();
      const payload = serializer.dumps(JSON.parse('{"__proto__": {"polluted": true}}'));
      expect(() => serializer.loads(payload)).to.throw(SerializationError);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });

    it('structured-clone: functions and symbols; cycles and Errors are kept', function () {
      const serializer = new StructuredCloneSerializer();
      for (const value of [() => 1, Symbol('s'), { f: () => 1 }]) {
        expect(() => serializer.dumps(value))
          .to.throw(SerializationError)
          .with.property('serializer', 'structured-clone');
      }
      const back = serializer.loads(serializer.dumps(cyclic)) as Record<string, unknown>;
      expect(back.self).to.equal(back);
      const error = serializer.loads(serializer.dumps(new RangeError('out'))) as Error;
      expect(error).to.be.instanceOf(RangeError).with.property('message', 'out');
      const regexp = serializer.loads(serializer.dumps(/a+b/gi)) as RegExp;
      expect(regexp.source + regexp.flags).to.equal('a+bgi');
    });

    it('binary serializers refuse text payloads, and garbage bytes', function () {
      for (const serializer of [new MsgpackSerializer(), new StructuredCloneSerializer()]) {
        expect(() => serializer.loads('text')).to.throw(SerializationError);
        expect(() => serializer.loads(new Uint8Array([0xc1, 0x00, 0x01]))).to.throw(SerializationError);
      }
    });

    it('rejects bad options, naming them', function () {
      expect(() => new JsonSerializer({ compress: 'zip' as never })).to.throw(RangeError, /compress/);
      expect(() => new JsonSerializer({ secret: '' })).to.throw(RangeError, /secret/);
      expect(() => new JsonSerializer({ secret: 42 as never })).to.throw(TypeError, /secret/);
      expect(() => new JsonSerializer({ compressThreshold: -1 })).to.throw(RangeError, /compressThreshold/);
      expect(() => new JsonSerializer({ maxDecompressedBytes: 0 })).to.throw(
        RangeError,
        /maxDecompressedBytes/,
      );
    });
  });
});
