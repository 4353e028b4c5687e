// Payloads as ioredis sends them, and replies as larder reads them.
import { describeValue } from '../../describe.js';

// ioredis sends Buffers as bytes but stringifies any other Uint8Array ("1,2,3"): wrap it, without copying.
export function payloadOf(value: unknown): string | Buffer {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(
    `the redis backend stores strings or bytes; got ${describeValue(value)} (is the serializer a NullSerializer?)`,
  );
}

/** The results of a MULTI … EXEC, or the first command's error (a transaction aborted: an Error). */
export function transactionResults(replies: [Error | null, unknown][] | null): unknown[] {
  if (replies === null) throw new Error('the Redis transaction was aborted');
  return replies.map(([error, result]) => {
    if (error !== null) throw error;
    return result;
  });
}

export function orUndefined<T>(value: T | null): T | undefined {
  return value ?? undefined;
}
