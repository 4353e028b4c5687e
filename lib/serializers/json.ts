import { describeValue } from '../describe.js';
import { SerializationError } from '../errors.js';
import { BaseSerializer } from './base.js';
import type { SerializerDescriptor } from '../component.js';
import { SERIALIZER_OPTIONS, type SerializerOptions } from './envelope.js';
import type { Payload } from './serializer.js';
import { payloadToText } from './text.js';

/**
 * Stores values as JSON text, readable by any client. JSON's rules apply: `Date`s come back as ISO
 * strings, `Map`/`Set` as `{}`, and object properties holding functions or `undefined` are dropped.
 * A value JSON cannot represent at all (a function, a symbol, a `BigInt`, a cycle) is refused.
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
