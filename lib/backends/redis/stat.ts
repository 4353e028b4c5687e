import type { KeyStat } from '../backend.js';
import type { Client } from './client.js';

/**
 * `stat` on Redis: `PTTL` and `GETRANGE key 0 headLength-1` in one `MULTI … EXEC`: one round trip,
 * one moment, and only the head of the value travels. `exists` and `ttl` read it to learn whether
 * an entry is tagged without reading its value.
 *
 * A key holding no string (a list, a hash) makes `GETRANGE` fail with `WRONGTYPE` inside the
 * transaction; that is an answer here, not a failure: the key is there and holds no bytes, so it
 * is no tagged entry, and `exists` says true as `EXISTS` would. A transaction of reads, like
 * getWithTtl's (see there why not a script): a dropped connection sends it again.
 */
export async function statOf(client: Client, key: string, headLength: number): Promise<KeyStat | undefined> {
  const replies = await client
    .multi()
    .pttl(key)
    .getrangeBuffer(key, 0, headLength - 1)
    .exec();
  if (replies === null) throw new Error('the Redis transaction was aborted');
  const [[ttlError, ms], [, head]] = replies as [[Error | null, number], [Error | null, Buffer | null]];
  if (ttlError !== null) throw ttlError;
  if (ms === -2) return undefined;
  return { ttlMs: ms === -1 ? Infinity : ms, head: Buffer.isBuffer(head) ? head : undefined };
}
