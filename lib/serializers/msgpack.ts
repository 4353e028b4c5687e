import {
  Decoder,
  EXT_TIMESTAMP,
  Encoder,
  ExtensionCodec,
  decode,
  decodeTimestampExtension,
  encode,
  encodeTimestampExtension,
} from '@msgpack/msgpack';
import { endianness } from 'node:os';
import { SerializationError } from '../errors.js';
import { BaseSerializer } from './base.js';
import type { SerializerDescriptor } from '../component.js';
import { SERIALIZER_OPTIONS, type SerializerOptions } from './envelope.js';
import type { Payload } from './serializer.js';
import { atPath, findPart } from './value-path.js';

// Application extension types (msgpack reserves negative types; -1 is the standard timestamp,
// which @msgpack/msgpack already uses for Date). These numbers are part of the stored format.
const EXT_MAP = 1;
const EXT_SET = 2;
const EXT_BIGINT = 3;
const EXT_BUFFER = 4;
const EXT_TYPED_ARRAY = 5;

// A part of a value msgpack would store as something else; thrown from inside the encoder, and
// turned into a SerializationError naming where the part sits.
class RefusedPart extends Error {
  constructor(
    readonly part: unknown,
    readonly what: string,
  ) {
    super(what);
  }
}

// Binary views other than Uint8Array (which is msgpack's own bin type), and ArrayBuffer: without an
// extension msgpack writes a view as bin (a Float64Array would come back a Uint8Array of its bytes)
// and an ArrayBuffer as an empty map. The first payload byte is the index here: part of the format.
type BinaryView = ArrayBufferView | ArrayBuffer;
const BINARY_KINDS: readonly {
  readonly type: abstract new (...args: never[]) => BinaryView;
  readonly make: (bytes: ArrayBuffer) => BinaryView;
  readonly width: number;
}[] = [
  { type: ArrayBuffer, make: (bytes) => bytes, width: 1 },
  { type: DataView, make: (bytes) => new DataView(bytes), width: 1 },
  { type: Int8Array, make: (bytes) => new Int8Array(bytes), width: 1 },
  { type: Uint8ClampedArray, make: (bytes) => new Uint8ClampedArray(bytes), width: 1 },
  { type: Int16Array, make: (bytes) => new Int16Array(bytes), width: 2 },
  { type: Uint16Array, make: (bytes) => new Uint16Array(bytes), width: 2 },
  { type: Int32Array, make: (bytes) => new Int32Array(bytes), width: 4 },
  { type: Uint32Array, make: (bytes) => new Uint32Array(bytes), width: 4 },
  { type: Float32Array, make: (bytes) => new Float32Array(bytes), width: 4 },
  { type: Float64Array, make: (bytes) => new Float64Array(bytes), width: 8 },
  { type: BigInt64Array, make: (bytes) => new BigInt64Array(bytes), width: 8 },
  { type: BigUint64Array, make: (bytes) => new BigUint64Array(bytes), width: 8 },
];
// Typed arrays hold the platform's byte order; the payload holds little-endian, whoever reads it.
const BIG_ENDIAN = endianness() === 'BE';

function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let at = 0; at < bytes.length; at += width) bytes.subarray(at, at + width).reverse();
}

function encodeBinaryView(value: unknown): Uint8Array | null {
  // Every object of a value passes here: plain ones leave after one or two cheap checks.
  let kind: number;
  if (ArrayBuffer.isView(value)) {
    if (value instanceof Uint8Array) return null;
    kind = BINARY_KINDS.findIndex(({ type }) => value instanceof type);
    // A view kind this list lacks (Float16Array, say) must not become a plain Uint8Array.
    if (kind === -1) throw new RefusedPart(value, `a ${value.constructor.name}`);
  } else if (value instanceof ArrayBuffer) {
    kind = 0;
  } else {
    if (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)
      throw new RefusedPart(value, 'a SharedArrayBuffer');
    return null;
  }
  const view = value as BinaryView;
  const source = ArrayBuffer.isView(view)
    ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
    : new Uint8Array(view);
  const data = new Uint8Array(1 + source.byteLength);
  data[0] = kind;
  data.set(source, 1);
  if (BIG_ENDIAN) swapBytes(data.subarray(1), BINARY_KINDS[kind]!.width);
  return data;
}

function decodeBinaryView(data: Uint8Array): BinaryView {
  const kind = BINARY_KINDS[data[0] ?? -1];
  if (kind === undefined || (data.length - 1) % kind.width !== 0)
    throw new TypeError('not a binary view extension');
  // A copy of its own: aligned for the view, and sharing no memory with the payload.
  const bytes = data.slice(1);
  if (BIG_ENDIAN) swapBytes(bytes, kind.width);
  return kind.make(bytes.buffer);
}

const extensions = new ExtensionCodec();
extensions.register({
  // msgpack's standard timestamp, but an invalid Date is refused: it would be written as 1970.
  type: EXT_TIMESTAMP,
  encode: (value) => {
    if (!(value instanceof Date)) return null;
    if (Number.isNaN(value.getTime())) throw new RefusedPart(value, 'an invalid Date');
    return encodeTimestampExtension(value);
  },
  decode: (data) => decodeTimestampExtension(data),
});
// Nested values go through the functional encode/decode (a fresh codec each), so the shared
// Encoder/Decoder below are never re-entered.
const nested = { extensionCodec: extensions, ignoreUndefined: true } as const;
extensions.register({
  type: EXT_MAP,
  encode: (value) => (value instanceof Map ? encode([...value].flat(), nested) : null),
  decode: (data) => {
    const flat = decode(data, nested) as unknown[];
    const map = new Map<unknown, unknown>();
    for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
    return map;
  },
});
extensions.register({
  type: EXT_SET,
  encode: (value) => (value instanceof Set ? encode([...value], nested) : null),
  decode: (data) => new Set(decode(data, nested) as unknown[]),
});
extensions.register({
  type: EXT_BIGINT,
  encode: (value) => (typeof value === 'bigint' ? new TextEncoder().encode(value.toString()) : null),
  decode: (data) => BigInt(new TextDecoder().decode(data)),
});
extensions.register({
  // Plain Uint8Arrays use msgpack's own bin type; only Buffers need telling apart.
  type: EXT_BUFFER,
  encode: (value) => (Buffer.isBuffer(value) ? value : null),
  decode: (data) => Buffer.from(data),
});
extensions.register({ type: EXT_TYPED_ARRAY, encode: encodeBinaryView, decode: decodeBinaryView });

/**
 * Stores values as [MessagePack](https://msgpack.org) through `@msgpack/msgpack`: compact binary that
 * other clients read. `Date`, `Map`, `Set`, `BigInt`, `Uint8Array`, `Buffer`, the other typed arrays,
 * `DataView` and `ArrayBuffer` round-trip exactly (all but `Date` and `Uint8Array` through
 * application extension types 1–5). An invalid `Date` and a `SharedArrayBuffer` are refused, naming
 * where they sit. `undefined` object properties are dropped (as in JSON), `undefined` in arrays
 * becomes `null`, `-0` becomes `0`, and class instances come back as plain objects.
 *
 * @example
 * ```ts
 * new Cache({ backend: new RedisBackend({ url }), serializer: new MsgpackSerializer() });
 * ```
 */
export class MsgpackSerializer extends BaseSerializer {
  readonly name = 'msgpack';
  readonly #encoder = new Encoder({ extensionCodec: extensions, ignoreUndefined: true });
  readonly #decoder = new Decoder({ extensionCodec: extensions });

  constructor(options?: SerializerOptions) {
    super(options);
  }

  protected encode(value: unknown): Uint8Array {
    if (value === undefined)
      throw new SerializationError('msgpack serializer cannot encode undefined', this.name);
    try {
      return this.#encoder.encode(value);
    } catch (cause) {
      if (cause instanceof RefusedPart) {
        const path = findPart(value, (part) => part === cause.part)?.path ?? 'value';
        throw new SerializationError(
          `msgpack serializer cannot encode ${cause.what}${atPath(path)}: it would not come back as stored`,
          this.name,
        );
      }
      // Functions, symbols and cycles (too deep) land here.
      throw new SerializationError(
        `msgpack serializer cannot encode the value: ${(cause as Error).message}`,
        this.name,
        {
          cause,
        },
      );
    }
  }

  protected decode(payload: Payload): unknown {
    if (typeof payload === 'string') {
      throw new SerializationError('msgpack serializer expects a binary payload; got text', this.name);
    }
    try {
      // Decoded binary values are views into the bytes given to the decoder. Decode a private copy,
      // so they are plain Uint8Arrays (not Buffers, when the payload came from Redis or zlib) that
      // neither share memory with the stored payload nor keep a larger pooled buffer alive.
      return this.#decoder.decode(new Uint8Array(payload));
    } catch (cause) {
      throw new SerializationError('msgpack serializer could not decode the stored payload', this.name, {
        cause,
      });
    }
  }
}

/** The `msgpack` serializer type: `serializer: 'msgpack'` or `{ type: 'msgpack', compress?, secret?, … }`. */
export const MSGPACK_SERIALIZER_DESCRIPTOR: SerializerDescriptor<SerializerOptions> = Object.freeze({
  kind: 'serializer',
  type: 'msgpack',
  options: SERIALIZER_OPTIONS,
  build: (options: SerializerOptions) => new MsgpackSerializer(options),
});
