import { describeValue } from '../describe.js';
import { SerializationError } from '../errors.js';
import type { Payload, Serializer } from './serializer.js';
import { payloadToText } from './text.js';

/**
 * Stores strings, and numbers, booleans and bigints as their string form; reads back strings.
 * Objects are refused rather than silently stored as `"[object Object]"`.
 */
export class StringSerializer implements Serializer {
  readonly name = 'string';

  dumps(value: unknown): string {
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

  loads(payload: Payload): string {
    try {
      return payloadToText(payload);
    } catch (cause) {
      throw new SerializationError('string serializer could not decode the payload as UTF-8', this.name, {
        cause,
      });
    }
  }
}
