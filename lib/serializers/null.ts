import type { SerializerDescriptor } from '../component.js';
import { checkOptions, NO_OPTIONS } from '../options-schema.js';
import type { Serializer } from './serializer.js';

/**
 * Stores values as they are, without encoding: the memory backend's default. The cache then hands
 * back the very object that was stored, so mutating it mutates the cached value. Only backends
 * that keep references (the memory backend) accept it.
 */
export class NullSerializer implements Serializer<unknown> {
  readonly name = 'null';

  /** @throws TypeError for any option: it takes none. */
  constructor(options?: Readonly<Record<string, never>>) {
    checkOptions(options, NO_OPTIONS, 'NullSerializer');
  }

  dumps(value: unknown): unknown {
    return value;
  }

  loads(payload: unknown): unknown {
    return payload;
  }
}

/** The `null` serializer type (memory backend only): `serializer: 'null'`. It takes no options. */
export const NULL_SERIALIZER_DESCRIPTOR: SerializerDescriptor<Readonly<Record<string, never>>> =
  Object.freeze({
    kind: 'serializer',
    type: 'null',
    options: NO_OPTIONS,
    build: (options: Readonly<Record<string, never>>) => new NullSerializer(options),
  });
