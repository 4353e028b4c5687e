import assert from 'node:assert/strict';

/** Bytes of a payload: a string's UTF-8, or the bytes themselves. */
function bytesOf(payload: string | Uint8Array): Buffer {
  return typeof payload === 'string'
    ? Buffer.from(payload, 'utf8')
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/**
 * Asserts that a backend gave back the payload stored. Text may come back as text or as its UTF-8
 * bytes (Redis answers bytes; every serializer reads both); bytes must come back as bytes.
 */
export function assertPayload(actual: unknown, expected: string | Uint8Array, what: string): void {
  if (typeof expected === 'string' && typeof actual === 'string') {
    assert.equal(actual, expected, `${what}: a different string came back`);
    return;
  }
  assert.ok(
    actual instanceof Uint8Array,
    `${what}: expected ${typeof expected === 'string' ? 'the string or its UTF-8 bytes' : 'a Uint8Array'}, got ${typeof actual === 'string' ? 'a string' : String(actual)}`,
  );
  assert.ok(
    bytesOf(actual).equals(bytesOf(expected)),
    `${what}: different bytes came back (${bytesOf(actual).toString('hex').slice(0, 40)})`,
  );
}

/** Asserts a miss: `undefined`, never `null` or an empty payload. */
export function assertMiss(actual: unknown, what: string): void {
  assert.equal(actual, undefined, `${what}: expected a miss (undefined), got ${String(actual)}`);
}

/** Asserts a ttl read of a key stored for at most `maxMs`: within `(0, maxMs]`. */
export function assertTtlWithin(actual: unknown, maxMs: number, what: string, minMs = 0): void {
  assert.equal(typeof actual, 'number', `${what}: ttl must be a number, got ${String(actual)}`);
  const ms = actual as number;
  assert.ok(ms > minMs && ms <= maxMs, `${what}: ttl ${ms} is not within (${minMs}, ${maxMs}]`);
}

/** Asserts that an error carries larder's stable code (and is an instance of `type`, if given). */
export function hasCode(
  code: string,
  type?: abstract new (...args: never[]) => Error,
): (error: unknown) => boolean {
  return (error) => {
    if (type !== undefined) assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    assert.equal((error as { code?: unknown } | null)?.code, code, `expected code ${code}: ${String(error)}`);
    return true;
  };
}
