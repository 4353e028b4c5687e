import { describeValue } from '../describe.js';
import { SerializationError } from '../errors.js';
import { BaseSerializer } from './base.js';
import type { SerializerDescriptor } from '../component.js';
import { SERIALIZER_OPTIONS, type SerializerOptions } from './envelope.js';
import type { Payload } from './serializer.js';
import { payloadToText } from './text.js';
import { atPath, findPart } from './value-path.js';

// What JSON.stringify writes as `null` without a word: NaN, ±Infinity, and an invalid Date
// (whose toJSON() is null). Read back, they would be a `null` the caller never stored.
const lostInJson = (part: unknown): boolean =>
  (typeof part === 'number' && !Number.isFinite(part)) ||
  (part instanceof Date && Number.isNaN(part.getTime()));

// Whether JSON.stringify lost a part of `part`: a tight walk, as stringify sees the value (toJSON
// results), that builds nothing; the path is looked for only once it answers yes. No cycle guard:
// stringify has just walked the same graph without finding one.
function holdsLost(part: unknown, key: string | number): boolean {
  if (typeof part === 'number') return !Number.isFinite(part);
  if (typeof part !== 'object' || part === null) return false;
  if (part instanceof Date) return Number.isNaN(part.getTime());
  if (typeof (part as { toJSON?: unknown }).toJSON === 'function') {
    part = (part as { toJSON(key: string): unknown }).toJSON(String(key));
    if (typeof part === 'number') return !Number.isFinite(part);
    if (typeof part !== 'object' || part === null) return false;
  }
  if (Array.isArray(part)) {
    for (let i = 0; i < part.length; i++) if (holdsLost(part[i], i)) return true;
    return false;
  }
  for (const name of Object.keys(part)) {
    if (holdsLost((part as Record<string, unknown>)[name], name)) return true;
  }
  return false;
}

/**
 * Stores values as JSON text, readable by any client. JSON's rules apply: `Date`s come back as ISO
 * strings, `Map`/`Set` as `{}`, and object properties holding functions or `undefined` are dropped.
 * A value JSON cannot represent at all (a function, a symbol, a `BigInt`, a cycle) is refused, and
 * so is one it would silently store as `null` (`NaN`, `±Infinity`, an invalid `Date`), naming where
 * it sits: `json serializer cannot encode NaN at value.items[3]`.
 *
 * @example
 * ```ts
 * new Cache({ backend, serializer: new JsonSerializer({ compress: 'brotli', secret: process.env.CACHE_SECRET }) });
 * ```
 */
export class JsonSerializer extends BaseSerializer {
  readonly name = 'json';

  constructor(options?: SerializerOptions) {
    super(options);
  }

  protected encode(value: unknown): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (cause) {
      // BigInt and cyclic structures land here.
      throw new SerializationError(
        `json serializer cannot encode the value: ${(cause as Error).message}`,
        this.name,
        {
          cause,
        },
      );
    }
    if (text === undefined) {
      throw new SerializationError(`json serializer cannot encode ${describeValue(value)}`, this.name);
    }
    // Lost values show in the text as `null`, so text without one needs no second look: about a
    // tenth of a plain stringify, where a replacer would cost more than half (bench/serializer-encode.ts).
    // Only text with a `null` (a real one, or inside a string) pays for a walk of the value.
    if (text.includes('null') && holdsLost(value, '')) {
      const lost = findPart(value, lostInJson, true);
      if (lost !== undefined) {
        const what = lost.part instanceof Date ? 'an invalid Date' : String(lost.part);
        throw new SerializationError(
          `json serializer cannot encode ${what}${atPath(lost.path)}: JSON would store it as null`,
          this.name,
        );
      }
    }
    return text;
  }

  protected decode(payload: Payload): unknown {
    try {
      return JSON.parse(payloadToText(payload));
    } catch (cause) {
      throw new SerializationError('json serializer could not parse the stored payload', this.name, {
        cause,
      });
    }
  }
}

/** The `json` serializer type: `serializer: 'json'` or `{ type: 'json', compress?, secret?, … }`. */
export const JSON_SERIALIZER_DESCRIPTOR: SerializerDescriptor<SerializerOptions> = Object.freeze({
  kind: 'serializer',
  type: 'json',
  options: SERIALIZER_OPTIONS,
  build: (options: SerializerOptions) => new JsonSerializer(options),
});
