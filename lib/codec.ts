import type { Backend } from './backends/backend.js';
import { describeValue } from './describe.js';
import { ConfigError, SerializationError } from './errors.js';
import { BaseSerializer } from './serializers/base.js';
import { NullSerializer } from './serializers/null.js';
import type { Serializer } from './serializers/serializer.js';

/**
 * A cache's serializer as the cache uses it: values to payloads and back, every failure a
 * {@link SerializationError} naming the key, and no work at all for the pass-through
 * NullSerializer, whose payloads are the values themselves.
 */
export class Codec<V> {
  readonly serializer: Serializer<unknown>;
  // Whether payloads are the values (the pass-through NullSerializer): nothing to decode.
  readonly #passThrough: boolean;

  /**
   * @throws TypeError if `serializer` has no dumps/loads; ConfigError if the backend cannot hold
   *   what it produces (live references on a backend that stores bytes).
   */
  constructor(serializer: unknown, backend: Backend) {
    const candidate = serializer as Partial<Serializer<unknown>> | null | undefined;
    if (typeof serializer === 'string') {
      throw new TypeError(
        `serializer must be a Serializer instance, not the name "${serializer}": use new JsonSerializer(), new MsgpackSerializer(), …`,
      );
    }
    if (typeof candidate?.dumps !== 'function' || typeof candidate.loads !== 'function') {
      throw new TypeError(
        `serializer must have dumps() and loads() methods; got ${describeValue(serializer)}`,
      );
    }
    this.serializer = serializer as Serializer<unknown>;
    if (serializer instanceof NullSerializer && !backend.acceptsReferences) {
      throw new ConfigError(
        `the ${backend.name} backend cannot store live references: give it a serializer other than NullSerializer`,
        { path: 'serializer' },
      );
    }
    this.#passThrough = this.serializer.loads === NullSerializer.prototype.loads;
  }

  /**
   * The payload of `value`.
   *
   * @throws TypeError for `undefined` (what a miss looks like); SerializationError if it cannot be encoded.
   */
  encode(value: unknown, key: unknown): unknown {
    if (value === undefined) {
      throw new TypeError(`cannot store undefined at key "${String(key)}"; delete the key instead`);
    }
    try {
      return this.serializer.dumps(value);
    } catch (error) {
      throw serializationFailure(error, 'encode', key, this.serializer.name);
    }
  }

  /**
   * The value of a stored payload.
   *
   * @throws SerializationError if it cannot be decoded (corrupt, tampered, wrong secret).
   */
  decode(payload: unknown, key: unknown): V {
    if (this.#passThrough) return payload as V;
    try {
      return this.serializer.loads(payload) as V;
    } catch (error) {
      throw serializationFailure(error, 'decode', key, this.serializer.name);
    }
  }

  /**
   * The payload of an integer for `increment`, which backends count in the stored form (Redis
   * INCRBY works on text).
   *
   * @throws TypeError if the serializer stores integers in a binary form, which a backend would
   *   count wrongly: refused before anything is written.
   */
  encodeCounter(delta: number, key: unknown): string | number {
    const initial = this.encode(delta, key);
    if (typeof initial !== 'string' && typeof initial !== 'number') {
      const serializer = this.serializer;
      const enveloped =
        serializer instanceof BaseSerializer && serializer.enveloped ? ' with compress/secret' : '';
      throw new TypeError(
        `increment needs a serializer that stores integers as text or numbers (json, string, null); ` +
          `the ${serializer.name} serializer${enveloped} does not`,
      );
    }
    return initial;
  }
}

function serializationFailure(
  error: unknown,
  action: 'encode' | 'decode',
  key: unknown,
  serializer: string,
): SerializationError {
  const reason = error instanceof Error ? error.message : String(error);
  const cause = error instanceof SerializationError && error.cause !== undefined ? error.cause : error;
  return new SerializationError(
    `${serializer} serializer could not ${action} the value of key "${String(key)}": ${reason}`,
    serializer,
    { key: String(key), cause },
  );
}
