import { createHash } from 'node:crypto';
import { describeValue } from './describe.js';

/** Keys longer than this are hashed, so one stays well inside any store's key limit. */
export const MAX_KEY_LENGTH = 200;

/**
 * Encodes call arguments as a stable string: the same arguments give the same string in any
 * process and after a restart, and different arguments give different strings. Object key order
 * does not matter; every type is tagged, so `1`, `'1'`, `1n` and `[1]` never collide, and
 * `undefined`, `null`, `Date`, `Map`, `Set`, `BigInt` and bytes are encoded unambiguously.
 *
 * @throws TypeError for functions, symbols and cyclic structures, which have no stable encoding.
 */
export function encodeArgs(args: readonly unknown[]): string {
  // The same text as encoding `args` as an array, built without the array machinery: this runs on
  // every call of a cached() function, and most calls pass a few primitives.
  let text = '[';
  for (let i = 0; i < args.length; i++) {
    if (i > 0) text += ',';
    text += encode(args[i], undefined);
  }
  return `${text}]`;
}

/**
 * The key of a call: `prefix:<encoded args>`, or `prefix:#<sha256>` when that would be longer than
 * {@link MAX_KEY_LENGTH}.
 */
export function callKey(prefix: string, args: readonly unknown[]): string {
  const key = `${prefix}:${encodeArgs(args)}`;
  if (key.length <= MAX_KEY_LENGTH) return key;
  return `${prefix}:#${createHash('sha256').update(key).digest('base64url')}`;
}

/** A name for a function in keys: its own name, or (anonymous) a hash of its source, stable across restarts. */
export function functionKeyName(fn: (...args: never[]) => unknown): string {
  if (fn.name !== '' && !/^bound |^anonymous$/.test(fn.name)) return fn.name;
  return `anonymous-${createHash('sha256').update(String(fn)).digest('base64url').slice(0, 12)}`;
}

// `seen` holds the objects on the path from the top, to refuse cycles; it is made at the first
// object, so primitives cost no allocation.
function encode(value: unknown, seen: Set<object> | undefined): string {
  switch (typeof value) {
    case 'undefined':
      return 'u';
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      // -0 and 0 are one key, as they are one value to nearly every function.
      return `n${Object.is(value, -0) ? 0 : value}`;
    case 'bigint':
      return `b${value}`;
    case 'string':
      return JSON.stringify(value);
    case 'function':
    case 'symbol':
      throw new TypeError(
        `cannot build a cache key from ${describeValue(value)}; give cached() a key function`,
      );
  }
  if (value === null) return 'N';
  // Everything else is an object.
  const object = value as object;
  seen ??= new Set();
  if (seen.has(object))
    throw new TypeError('cannot build a cache key from a cyclic structure; give cached() a key function');
  seen.add(object);
  try {
    if (Array.isArray(value)) return `[${value.map((item) => encode(item, seen)).join(',')}]`;
    if (value instanceof Date) return `D${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()}`;
    if (value instanceof Uint8Array)
      return `B${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}`;
    if (value instanceof Map) {
      const entries = [...value].map(([k, v]) => `${encode(k, seen)}:${encode(v, seen)}`);
      return `M{${entries.sort().join(',')}}`;
    }
    if (value instanceof Set)
      return `S{${[...value]
        .map((item) => encode(item, seen))
        .sort()
        .join(',')}}`;
    const keys = Object.keys(object).sort();
    const fields = keys.map(
      (key) => `${JSON.stringify(key)}:${encode((object as Record<string, unknown>)[key], seen)}`,
    );
    const proto = Object.getPrototypeOf(object) as { constructor?: { name?: string } } | null;
    // Class instances keep their class name, so two classes with the same fields differ.
    const tag = proto === null || proto === Object.prototype ? '' : (proto.constructor?.name ?? '?');
    return `${tag}{${fields.join(',')}}`;
  } finally {
    seen.delete(object);
  }
}
