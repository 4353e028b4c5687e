// CRC16-CCITT (XMODEM), the function Redis Cluster hashes keys with (cluster spec, appendix A).
const CRC16_TABLE = new Uint16Array(256);
for (let byte = 0; byte < 256; byte++) {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  CRC16_TABLE[byte] = crc;
}

const encoder = new TextEncoder();

/** Number of hash slots in a Redis Cluster. */
export const SLOT_COUNT = 16_384;

/**
 * The Redis Cluster hash slot of a key, honouring hash tags: if the key holds `{…}` with at least
 * one character between the first `{` and the next `}`, only that part is hashed.
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  const bytes = encoder.encode(key);
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % SLOT_COUNT;
}

/** Groups items by the slot of their key, keeping each item's position in the input. */
export function groupBySlot<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
): Map<number, { item: T; index: number }[]> {
  const groups = new Map<number, { item: T; index: number }[]>();
  items.forEach((item, index) => {
    const slot = keySlot(keyOf(item));
    let group = groups.get(slot);
    if (group === undefined) groups.set(slot, (group = []));
    group.push({ item, index });
  });
  return groups;
}
