import { Decoder, Encoder, ExtensionCodec, decode, encode } from '@msgpack/msgpack';
import { SerializationError } from '../errors.js';
import { BaseSerializer } from './base.js';
import type { SerializerDescriptor } from '../component.js';
import { SERIALIZER_OPTIONS, type SerializerOptions } from './envelope.js';
import type { Payload } from './serializer.js';

// Application extension types (msgpack reserves negative types; -1 is the standard timestamp,
// which @msgpack/msgpack already uses for Date). These numbers are part of the stored format.
const EXT_MAP = 1;
const EXT_SET = 2;
const EXT_BIGINT = 3;
const EXT_BUFFER = 4;

const extensions = new ExtensionCodec();
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

/**
 * Stores values as [MessagePack](https://msgpack.org) through `@msgpack/msgpack`: compact binary that
 * other clients read. `Date`, `Map`, `Set`, `BigInt`, `Uint8Array` and `Buffer` round-trip exactly
 * (the last four through application extension types 1–4). `undefined` object properties are dropped
 * (as in JSON), `undefined` in arrays becomes `null`, and class instances come back as plain objects.
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
