const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads a payload as UTF-8 text; throws a `TypeError` on invalid UTF-8. */
export function payloadToText(payload: string | Uint8Array): string {
  return typeof payload === 'string' ? payload : decoder.decode(payload);
}
