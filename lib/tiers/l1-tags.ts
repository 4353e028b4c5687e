// Tagged entries in the L1 (docs/tags.md, "In the L1"). A tagged entry is held with the snapshot it
// was written with (its tag keys and their tokens then), and its tag keys are ordinary L1 keys,
// holding the tokens read from the backend and kept coherent like any key: an invalidation of a
// tag is a write of its key, published on the bus (or seen by tracking), which drops the key from
// every L1. A hit compares the snapshot with the tokens the L1 holds (lib/tiers/l1-store.ts); what
// is here reads the tokens the L1 does not hold, each under a fill ticket taken before its read,
// so that a token read racing an invalidation never fills the L1 with the old token.
import type { CacheCore } from '../cache-core.js';
import type { TaggedPayload } from '../tags/tagged-payload.js';
import type { FillTicket, L1Store } from './l1-store.js';

/**
 * The current tokens of `tagKeys`, read from the backend (one `MGET` on Redis), each filled into
 * the L1 unless an invalidation of its key (or a gap) came while the read was on its way. A tag
 * key the backend does not hold fills nothing (its entries are missing).
 */
export function readTokens<V>(
  core: CacheCore<V>,
  l1: L1Store,
  tagKeys: readonly string[],
): Promise<(string | undefined)[]> {
  const tickets = tagKeys.map((tagKey) => l1.begin(tagKey));
  const abandon = (): void => tickets.forEach((ticket) => l1.abandon(ticket));
  let read: (string | undefined)[] | Promise<(string | undefined)[]>;
  try {
    read = core.tags.read(tagKeys);
  } catch (error) {
    abandon();
    return Promise.reject(error);
  }
  return Promise.resolve(read).then(
    (tokens) => {
      tickets.forEach((ticket, i) => {
        const token = tokens[i];
        // Tag keys never expire in the backend: the L1's own ttl bounds them.
        if (token === undefined) l1.missed(ticket);
        else l1.fill(ticket, token, Infinity, Buffer.byteLength(token), undefined, true);
      });
      return tokens;
    },
    (error: unknown) => {
      abandon();
      throw error;
    },
  );
}

/**
 * Whether a tagged entry read from the backend is current: each tag's token from the L1 where it
 * holds the entry's, the others (missing from the L1, or different there: the L1's may be the
 * older) read from the backend in one read and filled. No read when the L1 holds them all.
 */
export function isCurrentThroughL1<V>(
  core: CacheCore<V>,
  l1: L1Store,
  entry: TaggedPayload,
): boolean | Promise<boolean> {
  const { keys, tokens } = entry;
  const unsure: number[] = [];
  for (let i = 0; i < keys.length; i++) if (l1.token(keys[i]!) !== tokens[i]) unsure.push(i);
  if (unsure.length === 0) return true;
  return readTokens(
    core,
    l1,
    unsure.map((i) => keys[i]!),
  ).then((read) => read.every((token, j) => token === tokens[unsure[j]!]));
}

/**
 * A tagged entry read from the backend, with its ticket: its value if its tags are current (the
 * L1 then filled with the value and its snapshot), else `undefined` (nothing filled).
 */
export function fillTagged<V>(
  core: CacheCore<V>,
  l1: L1Store,
  ticket: FillTicket,
  entry: TaggedPayload,
  ttlMs: number,
  size: number,
  key: unknown,
): V | undefined | Promise<V | undefined> {
  let current: boolean | Promise<boolean>;
  try {
    current = isCurrentThroughL1(core, l1, entry);
  } catch (error) {
    l1.abandon(ticket);
    throw error;
  }
  const then = (fresh: boolean): V | undefined => {
    if (!fresh) {
      l1.abandon(ticket);
      return undefined;
    }
    let value: V;
    try {
      value = core.codec.decode(entry.payload, key);
    } catch (error) {
      l1.abandon(ticket);
      throw error;
    }
    // The snapshot only: the entry's keys and tokens, not the wrapper holding the payload's bytes.
    l1.fill(ticket, value, ttlMs, size, { keys: entry.keys, tokens: entry.tokens });
    return value;
  };
  if (typeof current === 'boolean') return then(current);
  return current.then(then, (error: unknown) => {
    l1.abandon(ticket);
    throw error;
  });
}

/**
 * For a read the L1 missed: if it holds `finalKey` as a tagged entry whose only want is tokens it
 * does not hold (evicted, expired, or dropped by an invalidation of their tag), reads those tokens
 * (one read), fills them, and answers the entry's value if they are still its own; `undefined`
 * then means the entry is not current, or could not be checked (the caller reads the backend).
 * Answers `undefined` at once, with no read, for any other miss.
 */
export function heldTagged<V>(
  core: CacheCore<V>,
  l1: L1Store,
  finalKey: string,
): Promise<V | undefined> | undefined {
  const tags = l1.tagsOf(finalKey);
  if (tags === undefined) return undefined;
  const missing: number[] = [];
  for (let i = 0; i < tags.keys.length; i++) if (l1.token(tags.keys[i]!) === undefined) missing.push(i);
  if (missing.length === 0) return undefined;
  return readTokens(
    core,
    l1,
    missing.map((i) => tags.keys[i]!),
  ).then((read) => {
    if (read.some((token, j) => token !== tags.tokens[missing[j]!])) {
      // Invalidated (or its tag key lost): never served again.
      l1.remove([finalKey]);
      return undefined;
    }
    // A hit, unless a token's fill was refused (an invalidation raced the read) or the entry
    // changed meanwhile: the caller then reads the backend.
    return l1.get(finalKey) as V | undefined;
  });
}
