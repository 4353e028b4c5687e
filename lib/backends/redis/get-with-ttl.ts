import type { StoredWithTtl } from '../backend.js';
import type { Client } from './client.js';
import { transactionResults } from './replies.js';

/**
 * `getWithTtl` on Redis: `GET` and `PTTL` in one `MULTI … EXEC`, so one round trip (the four
 * commands leave in one write) and one moment (nothing runs between them on the server).
 *
 * A transaction rather than a Lua script: it holds only reads, so when a connection drops before
 * the reply, it is sent again like any read (see LostReplies), where an `EVAL` must be reported
 * as a write whose outcome is unknown; no script body travels with every call; and it runs where
 * scripting is turned off. On a Cluster, one key is one hash slot, which a transaction needs.
 * A plain pipeline would be one round trip too, but another client's write could land between the
 * two reads and pair one value with another value's ttl.
 */
export async function readWithTtl(client: Client, key: string): Promise<StoredWithTtl | undefined> {
  const [value, ms] = transactionResults(await client.multi().getBuffer(key).pttl(key).exec()) as [
    Buffer | null,
    number,
  ];
  // -2: the key expired between the two reads, at the very moment: a miss.
  if (value === null || ms === -2) return undefined;
  return { value, ttlMs: ms === -1 ? Infinity : ms };
}
