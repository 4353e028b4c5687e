import { describeValue } from '../describe.js';
import { OutOfRangeError } from '../errors.js';

/**
 * The size of a value in bytes as the memory backend counts it for `maxBytes`: `sizeOf`'s answer
 * if there is one, else the length of an encoded payload (UTF-8 bytes of text, bytes of binary).
 *
 * @throws TypeError if there is no `sizeOf` and the value is a live reference.
 * @throws RangeError if `sizeOf` answers something other than a non-negative number.
 * @throws OutOfRangeError if the value is larger than `maxBytes`.
 */
export function sizeOfValue(
  key: string,
  value: unknown,
  maxBytes: number,
  sizeOf: ((value: unknown, key: string) => number) | undefined,
): number {
  let size: number;
  if (sizeOf !== undefined) size = sizeOf(value, key);
  else if (typeof value === 'string') size = Buffer.byteLength(value);
  else if (value instanceof Uint8Array) size = value.byteLength;
  else {
    throw new TypeError(
      `memory backend with maxBytes cannot size the value of key "${key}": ` +
        'use a serializer other than NullSerializer, or give a sizeOf function',
    );
  }
  if (!Number.isFinite(size) || size < 0) {
    throw new RangeError(
      `sizeOf returned ${describeValue(size)} for key "${key}"; expected a non-negative number`,
    );
  }
  if (size > maxBytes) {
    throw new OutOfRangeError(
      `value of key "${key}" is ${size} bytes, more than maxBytes (${maxBytes})`,
      key,
    );
  }
  return size;
}
