/** Text payloads as serializers give them, the awkward ones included (empty, NUL, astral, long). */
export const TEXT_PAYLOADS: readonly string[] = Object.freeze([
  '',
  'plain',
  '{"a":[1,"two",null],"b":{"c":true}}',
  'ünïcödé € 😀 \u0000 after a NUL',
  'x'.repeat(20_000),
]);

/**
 * Byte payloads: empty, every byte value, bytes that are not UTF-8, a view into the middle of a
 * larger buffer (offset and length matter), and a Node Buffer.
 */
export function bytePayloads(): Uint8Array[] {
  const backing = new Uint8Array(16).map((_, i) => 100 + i);
  return [
    new Uint8Array(0),
    Uint8Array.from({ length: 256 }, (_, i) => i),
    Uint8Array.from([0xc3, 0x28, 0xff, 0xfe, 0x00]),
    new Uint8Array(backing.buffer, 4, 5),
    Buffer.from('a Node Buffer'),
  ];
}

/** Keys no store may mix up: spaces, newlines, separators, astral characters, glob characters, length. */
export const AWKWARD_KEYS: readonly string[] = Object.freeze([
  'a',
  'A',
  'with space',
  'line\nbreak',
  'tab\tand:colon',
  'ünï:cödé:😀',
  '{tag}:key',
  'glob*?[x]\\',
  '__larder:lock:an ordinary key to get, set and delete',
  'k'.repeat(500),
]);
