import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  brotliCompressSync,
  brotliDecompressSync,
  deflateSync,
  gzipSync,
  gunzipSync,
  inflateSync,
  constants as zlib,
} from 'node:zlib';
import { describeValue } from '../describe.js';
import { SerializationError } from '../errors.js';
import { checks, type OptionCheck, type OptionsSchema } from '../options-schema.js';

/** Compression algorithms a serializer can apply to its payloads. */
export type Compression = 'gzip' | 'brotli' | 'deflate';

/** Options every serializer (but `NullSerializer`) accepts. */
export interface SerializerOptions {
  /**
   * Compress payloads with node:zlib. Payloads smaller than `compressThreshold` are stored
   * uncompressed, and their header says so.
   */
  readonly compress?: Compression;
  /**
   * Smallest encoded size, in bytes, worth compressing.
   * @default 1024
   */
  readonly compressThreshold?: number;
  /**
   * Sign payloads with HMAC-SHA256 under this secret; a payload whose signature does not verify is
   * never decompressed nor deserialized. Use 32 or more random bytes. Given as `undefined` or
   * empty (an environment variable that is not set), it is refused: leave it out for no signing.
   */
  readonly secret?: string | Uint8Array;
  /**
   * Largest decompressed size accepted, in bytes, so a hostile payload cannot expand without bound.
   * @default 268_435_456 (256 MiB)
   */
  readonly maxDecompressedBytes?: number;
}

/** The frozen defaults of {@link SerializerOptions}. */
export const SERIALIZER_DEFAULTS = Object.freeze({
  compressThreshold: 1_024,
  maxDecompressedBytes: 256 * 1024 * 1024,
});

const secret: OptionCheck = (value) => {
  if (typeof value !== 'string' && !(value instanceof Uint8Array))
    return { message: `expected a string or bytes; got ${describeValue(value)}`, error: 'type' };
  return value.length === 0
    ? {
        message: 'the secret is empty — is the environment variable that holds it (CACHE_SECRET?) set?',
        error: 'range',
      }
    : undefined;
};

/**
 * The options schema of every serializer but `NullSerializer`: `BaseSerializer`'s constructor and
 * config validation both check against it.
 */
export const SERIALIZER_OPTIONS: OptionsSchema = Object.freeze({
  fields: Object.freeze({
    compress: checks.oneOf('gzip', 'brotli', 'deflate'),
    compressThreshold: checks.integer(0),
    secret,
    maxDecompressedBytes: checks.integer(1),
  }),
  // `secret: process.env.CACHE_SECRET` with the variable unset would otherwise mean unsigned
  // payloads, stored without a word.
  definedIfGiven: Object.freeze({
    secret:
      'is the environment variable that holds it (CACHE_SECRET?) set? Leave secret out for unsigned payloads',
  }),
});

// Layout: 'L' 'D' version flags [32-byte HMAC over header and body] body.
const MAGIC_0 = 0x4c;
const MAGIC_1 = 0x44;
const VERSION = 1;
const HEADER_BYTES = 4;
const MAC_BYTES = 32;
const SIGNED = 0b100;
const ALGORITHM_MASK = 0b011;
const ALGORITHMS: readonly (Compression | undefined)[] = [undefined, 'gzip', 'deflate', 'brotli'];

const COMPRESS: Readonly<Record<Compression, (data: Uint8Array) => Uint8Array>> = {
  gzip: (data) => gzipSync(data),
  deflate: (data) => deflateSync(data),
  brotli: (data) =>
    brotliCompressSync(data, {
      // The default quality (11) is archival; 5 keeps writes fast with most of the gain.
      params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: data.byteLength },
    }),
};

/**
 * Wraps encoded payloads in larder's envelope (compression, signature) and unwraps them. Only
 * used when a serializer is given `compress` or `secret`; otherwise payloads are the format's own
 * plain bytes or text.
 */
export class Envelope {
  readonly #compress: Compression | undefined;
  readonly #threshold: number;
  readonly #secret: Buffer | undefined;
  readonly #maxOutput: number;
  readonly #serializerName: () => string;

  /**
   * @param options - checked already, against {@link SERIALIZER_OPTIONS} (by `BaseSerializer`).
   * @param serializerName - the owning serializer's name, for error messages.
   */
  constructor(options: SerializerOptions, serializerName: () => string) {
    this.#serializerName = serializerName;
    this.#compress = options.compress;
    this.#threshold = options.compressThreshold ?? SERIALIZER_DEFAULTS.compressThreshold;
    this.#maxOutput = options.maxDecompressedBytes ?? SERIALIZER_DEFAULTS.maxDecompressedBytes;
    if (options.secret !== undefined) this.#secret = Buffer.from(options.secret);
  }

  /** Whether payloads need an envelope at all (`compress` or `secret` was given). */
  get active(): boolean {
    return this.#compress !== undefined || this.#secret !== undefined;
  }

  wrap(body: Uint8Array): Uint8Array {
    let algorithm = 0;
    if (this.#compress !== undefined && body.byteLength >= this.#threshold) {
      body = COMPRESS[this.#compress](body);
      algorithm = ALGORITHMS.indexOf(this.#compress);
    }
    const macBytes = this.#secret === undefined ? 0 : MAC_BYTES;
    const payload = new Uint8Array(HEADER_BYTES + macBytes + body.byteLength);
    payload[0] = MAGIC_0;
    payload[1] = MAGIC_1;
    payload[2] = VERSION;
    payload[3] = algorithm | (macBytes === 0 ? 0 : SIGNED);
    payload.set(body, HEADER_BYTES + macBytes);
    if (this.#secret !== undefined) payload.set(this.#mac(payload, HEADER_BYTES + macBytes), HEADER_BYTES);
    return payload;
  }

  /**
   * Verifies (in constant time) and decompresses a payload, returning the encoded body.
   *
   * @throws SerializationError for anything not written by a matching envelope: no header, an
   *   unsigned payload where a secret is set, a signature that does not verify, a corrupt body.
   */
  unwrap(payload: unknown): Uint8Array {
    if (
      !(payload instanceof Uint8Array) ||
      payload.byteLength < HEADER_BYTES ||
      payload[0] !== MAGIC_0 ||
      payload[1] !== MAGIC_1
    ) {
      throw this.#refuse('the payload has no larder envelope (was it written without compress/secret?)');
    }
    if (payload[2] !== VERSION) throw this.#refuse(`the payload envelope has unknown version ${payload[2]}`);
    const flags = payload[3]!;
    const signed = (flags & SIGNED) !== 0;
    let bodyStart = HEADER_BYTES;
    if (this.#secret !== undefined) {
      if (!signed) throw this.#refuse('the payload is not signed, and this serializer requires a signature');
      bodyStart += MAC_BYTES;
      if (payload.byteLength < bodyStart)
        throw this.#refuse('the payload is too short to hold its signature');
      const expected = this.#mac(payload, bodyStart);
      const actual = payload.subarray(HEADER_BYTES, bodyStart);
      if (!timingSafeEqual(expected, actual)) throw this.#refuse('the payload signature does not verify');
    } else if (signed) {
      throw this.#refuse('the payload is signed, and this serializer has no secret to verify it');
    }
    const body = payload.subarray(bodyStart);
    const algorithm = ALGORITHMS[flags & ALGORITHM_MASK];
    if (algorithm === undefined) return body;
    try {
      const options = { maxOutputLength: this.#maxOutput };
      if (algorithm === 'gzip') return gunzipSync(body, options);
      if (algorithm === 'deflate') return inflateSync(body, options);
      return brotliDecompressSync(body, options);
    } catch (cause) {
      throw this.#refuse(`the payload could not be decompressed (${algorithm})`, cause);
    }
  }

  // HMAC over the header and the body, the MAC's own place left out.
  #mac(payload: Uint8Array, bodyStart: number): Buffer {
    return createHmac('sha256', this.#secret!)
      .update(payload.subarray(0, HEADER_BYTES))
      .update(payload.subarray(bodyStart))
      .digest();
  }

  #refuse(reason: string, cause?: unknown): SerializationError {
    const name = this.#serializerName();
    return new SerializationError(`${name} serializer refused a stored payload: ${reason}`, name, { cause });
  }
}
