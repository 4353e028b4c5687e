import { describeValue } from '../describe.js';
import { SerializationError } from '../errors.js';
import type { Payload, Serializer } from './serializer.js';
import { payloadToText } from './text.js';

/**
 * Stores values as JSON text, readable by any client. JSON's rules apply: `Date`s come back as ISO
 * strings, `Map`/`Set` as `{}`, and object properties holding functions or `undefined` are dropped.
 * A value JSON cannot represent at all (a function, a symbol, a `BigInt`, a cycle) is refused.
 */
export class JsonSerializer implements Serializer {
  readonly name = 'json';

  dumps(value: unknown): string {
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

  loads(payload: Payload): unknown {
    try {
      return JSON.parse(payloadToText(payload));
    } catch (cause) {
      throw new SerializationError('json serializer could not parse the stored payload', this.name, {
        cause,
      });
    }
  }
}
