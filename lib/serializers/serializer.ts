/** What a serializer produces and a backend stores: text or bytes. */
export type Payload = string | Uint8Array;

/**
 * Turns values into payloads a backend can store, and back. Both directions are synchronous.
 *
 * Implementations throw {@link SerializationError} (or any error, which the cache wraps in one)
 * when a value cannot be encoded or a payload cannot be decoded; they must never return a wrong
 * value instead.
 *
 * @typeParam P - the payload type; `unknown` only for {@link NullSerializer}, which stores references.
 */
export interface Serializer<P = Payload> {
  /** Short name used in errors, logs and config, e.g. `'json'`. */
  readonly name: string;
  /** Encodes a value into a payload. */
  dumps(value: unknown): P;
  /** Decodes a payload produced by {@link Serializer.dumps} (possibly by another process). */
  loads(payload: P): unknown;
}
