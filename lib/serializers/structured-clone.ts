import { deserialize, serialize } from 'node:v8';
import { SerializationError } from '../errors.js';
import { BaseSerializer } from './base.js';
import type { SerializerDescriptor } from '../component.js';
import { SERIALIZER_OPTIONS, type SerializerOptions } from './envelope.js';
import type { Payload } from './serializer.js';

/**
 * Stores values with V8's structured clone (`node:v8` `serialize`/`deserialize`), the closest thing
 * to Python's pickle: `Date`, `Map`, `Set`, `RegExp`, `BigInt`, typed arrays, `Error`s, `undefined`,
 * `-0`, sparse arrays and cyclic graphs all round-trip. Functions, symbols and class identity do
 * not (instances come back as plain objects).
 *
 * The format is Node-specific and tied to V8's serialization version, so only Node processes can
 * read it. Deserializing builds objects from whatever the store holds: on a shared Redis, give it a
 * `secret` so that only payloads this application signed are ever deserialized.
 *
 * @example
 * ```ts
 * new Cache({ backend, serializer: new StructuredCloneSerializer({ secret: process.env.CACHE_SECRET }) });
 * ```
 */
export class StructuredCloneSerializer extends BaseSerializer {
  readonly name = 'structured-clone';

  constructor(options?: SerializerOptions) {
    super(options);
  }

  protected encode(value: unknown): Uint8Array {
    try {
      return serialize(value);
    } catch (cause) {
      // DataCloneError for functions, symbols, and host objects V8 cannot clone.
      throw new SerializationError(
        `structured-clone serializer cannot encode the value: ${(cause as Error).message}`,
        this.name,
        { cause },
      );
    }
  }

  protected decode(payload: Payload): unknown {
    if (typeof payload === 'string') {
      throw new SerializationError(
        'structured-clone serializer expects a binary payload; got text',
        this.name,
      );
    }
    try {
      return deserialize(payload);
    } catch (cause) {
      throw new SerializationError(
        'structured-clone serializer could not decode the stored payload',
        this.name,
        {
          cause,
        },
      );
    }
  }
}

/** The `structured-clone` serializer type: `serializer: 'structured-clone'` or `{ type: 'structured-clone', compress?, secret?, … }`. */
export const STRUCTURED_CLONE_SERIALIZER_DESCRIPTOR: SerializerDescriptor<SerializerOptions> = Object.freeze({
  kind: 'serializer',
  type: 'structured-clone',
  options: SERIALIZER_OPTIONS,
  build: (options: SerializerOptions) => new StructuredCloneSerializer(options),
});
