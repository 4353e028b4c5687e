import type { KeyHandle } from '../backends/backend.js';

// How a tagged entry is stored: the serializer's payload, wrapped with the keys of its tags and
// the tokens they held when the entry's computation started. Untagged entries are stored as they
// always were, so they pay nothing; a read tells the two apart by the wrapper.

/**
 * A tagged entry as a backend holds it when payloads are live references (the memory backend with
 * the NullSerializer). Never exported: no caller's value can be one, so an `instanceof` check
 * tells a tagged entry from any stored value.
 */
export class TaggedPayload {
  /** Handles of the tag keys, made on the first read where the backend can peek (a hint each). */
  handles: KeyHandle[] | undefined = undefined;
  /** The memory backend's revision when the tags were last found current (-1: never). */
  checkedAt = -1;
  /** Hits answered since then without reading the tags. */
  skips = 0;

  constructor(
    /** The serializer's payload of the value (the value itself under the NullSerializer). */
    readonly payload: unknown,
    /** The tag keys (see TagSpace.keyOf), each beside the token it held at the snapshot. */
    readonly keys: readonly string[],
    readonly tokens: readonly string[],
  ) {
    taggedObjectsMade = true;
  }
}

// Whether this process ever made a TaggedPayload: until it has, no stored object can be one, and
// an in-process hit (whose payload is the value itself) skips the check of its prototype.
let taggedObjectsMade = false;

/**
 * Whether `stored`, an in-process payload, is a tagged entry. It reads one flag while no tagged
 * entry was ever written, then one prototype pointer: `instanceof` walks the value's prototype
 * chain, which cost a memory hit several percent.
 */
export function isTaggedObject(stored: unknown): stored is TaggedPayload {
  return (
    taggedObjectsMade &&
    typeof stored === 'object' &&
    stored !== null &&
    Object.getPrototypeOf(stored) === TaggedPayload.prototype
  );
}

// Layout of a tagged entry on a backend of bytes or text: NUL 'L' 'T' 0x01, the header's length
// (uint32, big-endian), the header (JSON [keys, tokens]), then the serializer's payload. No
// serializer's own output starts so: JSON text never starts with NUL, msgpack's NUL is the whole
// number 0 and nothing after it, structured clone starts with 0xFF, larder's envelope with 'LD'.
// Only a StringSerializer value or a custom serializer could, and then the header must also parse.
const MAGIC = [0x00, 0x4c, 0x54, 0x01] as const;
const HEADER_AT = MAGIC.length + 4;

/** The stored form of a tagged entry: an object for a pass-through serializer, else bytes. */
export function wrapPayload(
  payload: unknown,
  keys: readonly string[],
  tokens: readonly string[],
  asObject: boolean,
): unknown {
  if (asObject) return new TaggedPayload(payload, keys, tokens);
  const header = Buffer.from(JSON.stringify([keys, tokens]));
  const body =
    typeof payload === 'string'
      ? Buffer.from(payload)
      : payload instanceof Uint8Array
        ? payload
        : Buffer.from(String(payload));
  const out = Buffer.allocUnsafe(HEADER_AT + header.length + body.byteLength);
  out.set(MAGIC, 0);
  out.writeUInt32BE(header.length, MAGIC.length);
  header.copy(out, HEADER_AT);
  out.set(body, HEADER_AT + header.length);
  return out;
}

/**
 * The tagged entry a stored payload holds, or `undefined` for an untagged one.
 *
 * @param asObject - whether tagged entries are stored as objects (pass-through serializer).
 */
export function taggedOf(stored: unknown, asObject: boolean): TaggedPayload | undefined {
  if (asObject) return isTaggedObject(stored) ? stored : undefined;
  if (!(stored instanceof Uint8Array) || stored.byteLength < HEADER_AT || stored[0] !== MAGIC[0])
    return undefined;
  if (stored[1] !== MAGIC[1] || stored[2] !== MAGIC[2] || stored[3] !== MAGIC[3]) return undefined;
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const length = bytes.readUInt32BE(MAGIC.length);
  if (HEADER_AT + length > bytes.length) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', HEADER_AT, HEADER_AT + length));
  } catch {
    return undefined;
  }
  if (!Array.isArray(header) || header.length !== 2) return undefined;
  const [keys, tokens] = header as unknown[];
  if (!isStrings(keys) || !isStrings(tokens) || keys.length !== tokens.length) return undefined;
  return new TaggedPayload(bytes.subarray(HEADER_AT + length), keys, tokens);
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
