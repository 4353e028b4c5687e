import type { Serializer } from '../../lib/index.js';

/**
 * Encodes strings as UTF-8 behind a 0xFF marker byte: payloads that are not valid UTF-8, so any
 * text round trip on the way to the store and back would corrupt them.
 */
export class MarkedBytesSerializer implements Serializer<Uint8Array> {
  readonly name = 'marked-bytes';

  dumps(value: unknown): Uint8Array {
    const text = new TextEncoder().encode(String(value));
    const payload = new Uint8Array(text.length + 1);
    payload[0] = 0xff;
    payload.set(text, 1);
    return payload;
  }

  loads(payload: Uint8Array): string {
    if (!(payload instanceof Uint8Array) || payload[0] !== 0xff)
      throw new Error('payload lost its marker byte');
    return new TextDecoder().decode(payload.subarray(1));
  }
}
