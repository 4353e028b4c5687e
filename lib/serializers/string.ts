import { describeValue } from '../describe.js';
import { SerializationError } from '../errors.js';
import { BaseSerializer } from './base.js';
import type { SerializerDescriptor } from '../component.js';
import { SERIALIZER_OPTIONS, type SerializerOptions } from './envelope.js';
import type { Payload } from './serializer.js';
import { payloadToText } from './text.js';

/**
 * Stores strings, and numbers, booleans and bigints as their string form; reads back strings.
 * Objects are refused rather than silently stored as `"[object Object]"`.
 *
 * @example
 * ```ts
 * new Cache({ backend, serializer: new StringSerializer({ compress: 'gzip' }) });
 * ```
 */
export class StringSerializer extends BaseSerializer {
  readonly name = 'string';

  constructor(options?: SerializerOptions) {
    super(options);
  }

  protected encode(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return value;
      case 'number':
      case 'boolean':
      case 'bigint':
        return String(value);
      default:
        throw new SerializationError(
          `string serializer stores strings, numbers, booleans and bigints; got ${describeValue(value)}`,
          this.name,
        );
    }
  }

  protected decode(payload: Payload): string {
    try {
      return payloadToText(payload);
    } catch (cause) {
      throw new SerializationError('string serializer could not decode the payload as UTF-8', this.name, {
        cause,
      });
    }
  }
}

/** The `string` serializer type: `serializer: 'string'` or `{ type: 'string', compress?, secret?, … }`. */
export const STRING_SERIALIZER_DESCRIPTOR: SerializerDescriptor<SerializerOptions> = Object.freeze({
  kind: 'serializer',
  type: 'string',
  options: SERIALIZER_OPTIONS,
  build: (options: SerializerOptions) => new StringSerializer(options),
});
