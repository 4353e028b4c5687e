import { checkOptions } from '../options-schema.js';
import { Envelope, SERIALIZER_OPTIONS, type SerializerOptions } from './envelope.js';
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
   * Checks the options against {@link SERIALIZER_OPTIONS}: a subclass with options of its own
   * passes on only these.
   *
   * @throws TypeError for an unknown option (naming the closest known one) or a value of the wrong
   *   kind; RangeError for a value out of range.
   */
  constructor(options?: SerializerOptions) {
    checkOptions(options, SERIALIZER_OPTIONS, new.target.name || 'serializer');
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
