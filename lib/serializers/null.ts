import type { Serializer } from './serializer.js';

/**
 * Stores values as they are, without encoding: the memory backend's default. The cache then hands
 * back the very object that was stored, so mutating it mutates the cached value. Only backends
 * that keep references (the memory backend) accept it.
 */
export class NullSerializer implements Serializer<unknown> {
  readonly name = 'null';

  dumps(value: unknown): unknown {
    return value;
  }

  loads(payload: unknown): unknown {
    return payload;
  }
}
