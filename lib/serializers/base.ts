import { Envelope, type SerializerOptions } from './envelope.js';
import type { Payload, Serializer } from './serializer.js';

const utf8 = new TextEncoder();

/**
 * What every serializer but `NullSerializer` shares: the optional envelope for `compress` and
 * `secret`. Subclasses implement only their format (`encode`/`decode`). Without those options
 * payloads are exactly the format's own, so other clients can read and write them.
 */
export abstract class BaseSerializer implements Serializer {
  abstract readonly name: string;
  readonly #envelope: Envelope | undefined;

  /**
   * @throws RangeError or TypeError for bad options, naming them.
   */
  constructor(options?: SerializerOptions) {
    // Built whenever options are given, so every option is checked even when none needs an envelope.
    const envelope = options === undefined ? undefined : new Envelope(options, () => this.name);
    this.#envelope = envelope?.active ? envelope : undefined;
  }

  /** Whether payloads are compressed or signed (and so always bytes). */
  get enveloped(): boolean {
    return this.#envelope !== undefined;
  }

  dumps(value: unknown): Payload {
    const encoded = this.encode(value);
    if (this.#envelope === undefined) return encoded;
    return this.#envelope.wrap(typeof encoded === 'string' ? utf8.encode(encoded) : encoded);
  }

  loads(payload: Payload): unknown {
    return this.decode(this.#envelope === undefined ? payload : this.#envelope.unwrap(payload));
  }

  /** Encodes a value in the serializer's own format. */
  protected abstract encode(value: unknown): Payload;
  /** Decodes a payload of the serializer's own format (text may arrive as UTF-8 bytes). */
  protected abstract decode(payload: Payload): unknown;
}
