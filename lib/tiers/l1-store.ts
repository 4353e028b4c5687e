import type { KeyHandle } from '../backends/backend.js';
import { systemClock, type Clock } from '../clock.js';
import { LinkedList, type Linked } from '../linked-list.js';
import type { InvalidationSink } from './invalidation.js';

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
  /** Entries held. */
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
// keys while no tag key's entry left the L1 since (the store's tag epoch is unchanged) and none of
// those it found has expired (validUntil): a tag key's token changes only by its entry leaving
// (an invalidation, an eviction, a new fill replacing it). A full check finds the tag keys' entries
// where it found them last (`held`, checked still in their slots) before hashing the keys.
interface HeldTags {
  readonly keys: readonly string[];
  readonly tokens: readonly string[];
  readonly held: (L1Entry | undefined)[];
  checkedAt: number;
  validUntil: number;
}

// The longest a tagged entry's hits go without a full check of its tags, which also marks them
// used for eviction's second chance (see L1Entry.used).
const TAGS_RECHECK_MS = 1_000;

interface L1Entry extends Linked<L1Entry> {
  readonly key: string;
  readonly value: unknown;
  readonly expiresAt: number;
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
interface Pending {
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

/**
 * The L1: decoded values in this process, in front of a remote backend, in least-recently-used
 * order, bounded by entry count and bytes, each entry living at most `ttlMs` and never past its
 * L2 ttl. It is the sink of its invalidation source, and guards every fill against a read that an
 * invalidation overtook (the read-versus-invalidate race): a fill needs a {@link FillTicket} taken
 * before the read, and lands only if the key's generation and the store's epoch are unchanged.
 */
export class L1Store implements InvalidationSink {
  readonly #settings: L1StoreSettings;
  readonly #clock: Clock;
  readonly #entries = new Map<string, L1Entry>();
  readonly #order = new LinkedList<L1Entry>();
  // Every entry by slot, and the slots free for reuse.
  #slots: (L1Entry | undefined)[] = [];
  #free: number[] = [];
  readonly #pending = new Map<string, Pending>();
  readonly #clone: boolean;
  #bytes = 0;
  // Bumped by expireAll, down and up, so that no read in flight across one of them fills.
  #epoch = 0;
  // Bumped whenever a tag key's entry leaves the L1 (see HeldTags).
  #tagEpoch = 0;
  #live: boolean;
  /** Entries evicted to stay within the bounds, since the store was made. */
  evictions = 0;
  // Of those, the ones evicted for maxBytes; and entries dropped as expired, or by an invalidation.
  #evictedForBytes = 0;
  #expired = 0;
  #invalidated = 0;
  /** Called when coherence changes (after the change). */
  onCoherence: ((coherence: L1Coherence) => void) | undefined;

  constructor(settings: L1StoreSettings) {
    this.#settings = settings;
    this.#clock = settings.clock ?? systemClock;
    this.#live = settings.liveAtStart;
    this.#clone = settings.copy === 'clone';
  }

  /** Entries held (some may be stale, and are dropped when next read or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held, as counted for `maxBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** What the store holds and is bounded by. */
  get stats(): L1Stats {
    const { maxSize, maxBytes, ttlMs } = this.#settings;
    return {
      entries: this.#entries.size,
      bytes: this.#bytes,
      evictions: this.evictions,
      maxSize,
      maxBytes,
      ttlMs,
    };
  }

  /**
   * Entries dropped since the store was made, by reason: `size` and `bytes` (evicted for
   * `maxSize` and `maxBytes`), `ttl` (found expired), `invalidation` (a write here or elsewhere).
   * Expiries of every entry at once (a gap, a clear) are not counted.
   */
  evictionsByReason(): Record<'size' | 'bytes' | 'ttl' | 'invalidation', number> {
    return {
      size: this.evictions - this.#evictedForBytes,
      bytes: this.#evictedForBytes,
      ttl: this.#expired,
      invalidation: this.#invalidated,
    };
  }

  /** Whether entries are served as fresh: the invalidation source hears. */
  get coherence(): L1Coherence {
    return this.#live ? 'live' : 'degraded';
  }

  /** The fresh value of `key`, or `undefined` (missing, expired, invalidated, or the source not hearing). */
  get(key: string): unknown {
    const entry = this.#entries.get(key);
    if (entry === undefined || !this.#live) return undefined;
    const now = this.#clock.now();
    if (entry.expiresAt <= now) {
      this.#drop(entry);
      this.#expired++;
      return undefined;
    }
    const tags = entry.tags;
    if (tags !== undefined && (tags.checkedAt !== this.#tagEpoch || now >= tags.validUntil)) {
      if (!this.#tagsHold(entry, tags, now)) return undefined;
    }
    this.#order.moveToEnd(entry);
    return this.#clone ? structuredClone(entry.value) : entry.value;
  }

  /**
   * {@link get} by a remembered key's handle: the entry is looked for where the handle's hint
   * says it was found last (checking it still holds that key) before the hash lookup.
   */
  getByHandle(handle: KeyHandle): unknown {
    const hint = handle.hint;
    let entry = hint >= 0 && hint < this.#slots.length ? this.#slots[hint] : undefined;
    if (entry === undefined || entry.key !== handle.key) {
      entry = this.#entries.get(handle.key);
      if (entry === undefined) return undefined;
      handle.hint = entry.slot;
    }
    if (!this.#live) return undefined;
    const now = this.#clock.now();
    if (entry.expiresAt <= now) {
      this.#drop(entry);
      this.#expired++;
      return undefined;
    }
    const tags = entry.tags;
    if (tags !== undefined && (tags.checkedAt !== this.#tagEpoch || now >= tags.validUntil)) {
      if (!this.#tagsHold(entry, tags, now)) return undefined;
    }
    this.#order.moveToEnd(entry);
    return this.#clone ? structuredClone(entry.value) : entry.value;
  }

  /** Takes a read's claim to fill `key`: call it before sending the read, then {@link fill} or {@link abandon}. */
  begin(key: string): FillTicket {
    let pending = this.#pending.get(key);
    if (pending === undefined) this.#pending.set(key, (pending = { readers: 0, generation: 0 }));
    pending.readers++;
    return { key, epoch: this.#epoch, generation: pending.generation, pending };
  }

  /**
   * Fills the ticket's key with what its read found, unless an invalidation or a gap came after
   * the ticket was taken (then the value may be older than what Redis holds now).
   *
   * @param l2TtlMs - what was left of the entry's ttl in the L2 (`Infinity`: none).
   * @param size - the encoded payload's length, for `maxBytes`.
   * @param tags - a tagged entry's snapshot: each hit then checks it against the L1's tag keys.
   * @param tag - whether the key is a tag key, `value` its token.
   * @returns whether it filled.
   */
  fill(
    ticket: FillTicket,
    value: unknown,
    l2TtlMs: number,
    size: number,
    tags?: L1Tags,
    tag = false,
  ): boolean {
    this.abandon(ticket);
    if (!this.#live || ticket.epoch !== this.#epoch || ticket.generation !== ticket.pending.generation)
      return false;
    const lifeMs = Math.min(this.#settings.ttlMs, l2TtlMs);
    const { maxBytes } = this.#settings;
    if (lifeMs <= 0 || (maxBytes > 0 && size > maxBytes)) {
      this.#remove(ticket.key);
      return false;
    }
    this.#remove(ticket.key);
    const slot = this.#free.pop() ?? this.#slots.length;
    const entry: L1Entry = {
      key: ticket.key,
      value: this.#settings.copy === 'clone' ? structuredClone(value) : value,
      expiresAt: this.#clock.now() + lifeMs,
      size,
      tags:
        tags === undefined
          ? undefined
          : { keys: tags.keys, tokens: tags.tokens, held: [], checkedAt: -1, validUntil: 0 },
      slot,
      tag,
      used: false,
      prev: undefined,
      next: undefined,
    };
    this.#slots[slot] = entry;
    this.#entries.set(ticket.key, entry);
    this.#order.append(entry);
    this.#bytes += size;
    this.#evict();
    return true;
  }

  /**
   * The snapshot of `key` if the L1 holds it as an unexpired tagged entry (served or not: its
   * tokens may be missing from the L1); `undefined` otherwise, and while degraded. The entry
   * becomes the most recent, so that filling its tokens does not evict it.
   */
  tagsOf(key: string): L1Tags | undefined {
    const entry = this.#entries.get(key);
    if (entry?.tags === undefined || !this.#live || entry.expiresAt <= this.#clock.now()) return undefined;
    this.#order.moveToEnd(entry);
    return entry.tags;
  }

  /** The token the L1 holds (fresh) for a tag key, or `undefined`. Moves nothing. */
  token(tagKey: string): string | undefined {
    const entry = this.#entries.get(tagKey);
    if (entry === undefined || !this.#live || entry.expiresAt <= this.#clock.now()) return undefined;
    return entry.value as string;
  }

  /** Gives up a ticket without filling (the read failed). */
  abandon(ticket: FillTicket): void {
    const pending = ticket.pending;
    if (--pending.readers === 0 && this.#pending.get(ticket.key) === pending)
      this.#pending.delete(ticket.key);
  }

  expire(keys: readonly string[]): void {
    this.remove(keys);
  }

  remove(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.#remove(key)) this.#invalidated++;
      const pending = this.#pending.get(key);
      if (pending !== undefined) pending.generation++;
    }
  }

  expireAll(): void {
    this.#epoch++;
    this.#tagEpoch++;
    // Stale entries would only wait for eviction: let them go now.
    this.#entries.clear();
    this.#order.clear();
    this.#slots = [];
    this.#free = [];
    this.#bytes = 0;
  }

  down(): void {
    this.expireAll();
    if (!this.#live) return;
    this.#live = false;
    this.onCoherence?.('degraded');
  }

  up(): void {
    this.expireAll();
    if (this.#live) return;
    this.#live = true;
    this.onCoherence?.('live');
  }

  // Whether every tag of a tagged entry still holds its token in the L1 (the tag keys are kept
  // coherent like any key): a token that differs drops the entry (it was invalidated); one the L1
  // does not hold leaves it for a read of the token (see tagsOf). Each tag key is marked used, so
  // eviction gives it a second chance.
  #tagsHold(entry: L1Entry, tags: HeldTags, now: number): boolean {
    const { keys, tokens, held } = tags;
    let validUntil = now + TAGS_RECHECK_MS;
    for (let i = 0; i < keys.length; i++) {
      let token = held[i];
      if (token === undefined || this.#slots[token.slot] !== token) {
        token = this.#entries.get(keys[i]!);
        if (token === undefined) return false;
        held[i] = token;
      }
      if (token.expiresAt <= now) return false;
      if (token.value !== tokens[i]) {
        this.#drop(entry);
        this.#invalidated++;
        return false;
      }
      token.used = true;
      if (token.expiresAt < validUntil) validUntil = token.expiresAt;
    }
    tags.checkedAt = this.#tagEpoch;
    tags.validUntil = validUntil;
    return true;
  }

  #remove(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#drop(entry);
    return true;
  }

  #drop(entry: L1Entry): void {
    if (entry.tag) this.#tagEpoch++;
    this.#entries.delete(entry.key);
    this.#slots[entry.slot] = undefined;
    this.#free.push(entry.slot);
    this.#order.remove(entry);
    this.#bytes -= entry.size;
  }

  #evict(): void {
    const { maxSize, maxBytes } = this.#settings;
    while (this.#entries.size > maxSize || (maxBytes > 0 && this.#bytes > maxBytes)) {
      const oldest = this.#order.oldest!;
      if (oldest.used) {
        oldest.used = false;
        this.#order.moveToEnd(oldest);
        continue;
      }
      if (this.#entries.size <= maxSize) this.#evictedForBytes++;
      this.#drop(oldest);
      this.evictions++;
    }
  }
}
