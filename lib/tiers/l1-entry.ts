// What an L1 is made of: its settings and stats, its entries (fresh, expired and kept for
// staleIfError, tagged, or a tag key's token), and the tickets that guard its fills. The store that
// holds them is lib/tiers/l1-store.ts.
import type { Clock } from '../clock.js';
import type { Linked } from '../linked-list.js';

/** How an L1 is bounded and how long it keeps entries. */
export interface L1StoreSettings {
  /** Most entries kept (least recently used evicted beyond it). */
  readonly maxSize: number;
  /** Most bytes kept, counted as the encoded payload's length; 0 for no bound. */
  readonly maxBytes: number;
  /** The longest any entry lives, in ms. */
  readonly ttlMs: number;
  /** `'clone'`: every caller gets a copy of its own (structuredClone); `'reference'`: the stored object. */
  readonly copy: 'reference' | 'clone';
  /** Whether entries are served at all before the invalidation source says it hears (`up()`). */
  readonly liveAtStart: boolean;
  readonly clock?: Clock;
}

/** What an L1 holds and is bounded by (see `Cache.l1`). */
export interface L1Stats {
  /** Entries held, the expired ones kept for `staleIfError` included (they count against `maxSize`). */
  readonly entries: number;
  /** Bytes held, as counted for `maxBytes` (the entries' encoded lengths). */
  readonly bytes: number;
  /** Entries evicted to stay within the bounds so far. */
  readonly evictions: number;
  readonly maxSize: number;
  /** 0: no bound. */
  readonly maxBytes: number;
  /** The longest an entry lives, in ms. */
  readonly ttlMs: number;
}

/** The coherence of an L1: `'live'` while its invalidation source hears, else `'degraded'`. */
export type L1Coherence = 'live' | 'degraded';

/**
 * What a tagged entry was written with: its tag keys, each beside the token it held then. The tag
 * keys are ordinary L1 keys, holding the tokens read from the backend.
 */
export interface L1Tags {
  readonly keys: readonly string[];
  readonly tokens: readonly string[];
}

// A tagged entry's snapshot, and what its last full check found. A hit needs no look at the tag
// keys while no tag key's entry left the L1 or was expired since (the store's tag epoch is
// unchanged) and none of those it found has come to the end of its life (validUntil): a tag key's
// token changes only by its entry leaving (an invalidation, an eviction, a new fill replacing it).
// A full check finds the tag keys' entries where it found them last (`held`, checked still in
// their slots) before hashing the keys.
export interface HeldTags extends L1Tags {
  readonly held: (L1Entry | undefined)[];
  checkedAt: number;
  validUntil: number;
}

// What an expired entry's freshUntil becomes: it is never served as fresh again, but is kept (until
// keepUntil, or until evicted) for a read-through's staleIfError.
export const EXPIRED = -Infinity;

export interface L1Entry extends Linked<L1Entry> {
  readonly key: string;
  readonly value: unknown;
  // Served as fresh until then; EXPIRED once an invalidation (a set elsewhere) or a gap expired it.
  freshUntil: number;
  // Held until then: the life the fill gave it (l1.ttl, capped by its L2 ttl).
  readonly keepUntil: number;
  readonly size: number;
  // A tagged entry's snapshot, checked against the L1's tag keys at each hit; undefined (one
  // branch) for every untagged entry.
  readonly tags: HeldTags | undefined;
  // Where in #slots the entry sits: a key handle's hint, so a remembered key skips the hash lookup.
  readonly slot: number;
  // A tag key's entry (its token), whose leaving the L1 moves the store's tag epoch on.
  readonly tag: boolean;
  // A tag key's entry used by a tagged hit since it was last the oldest: eviction passes it by
  // once (a second chance), which keeps a hot tag resident without moving it at every hit.
  used: boolean;
}

// The reads of one key in flight, and its generation: bumped by every invalidation of the key, so
// a read that began before one never fills the L1 with what it read.
export interface Pending {
  readers: number;
  generation: number;
}

/**
 * A read's claim to fill the L1 with what it reads, taken before the read is sent (see
 * {@link L1Store.begin}). It is honoured only if no invalidation of its key, and no gap, came in
 * between.
 */
export interface FillTicket {
  readonly key: string;
  readonly epoch: number;
  readonly generation: number;
  readonly pending: Pending;
}
