import type { KeyHandle } from '../backends/backend.js';
import { systemClock, type Clock } from '../clock.js';
import { LinkedList } from '../linked-list.js';
import type { InvalidationSink } from './invalidation.js';
import {
  EXPIRED,
  type FillTicket,
  type HeldTags,
  type L1Coherence,
  type L1Entry,
  type L1Stats,
  type L1StoreSettings,
  type L1Tags,
  type Pending,
} from './l1-entry.js';
import { CHANGED, HOLD, checkTags, tagsCurrent } from './l1-tag-check.js';

export type { FillTicket, L1Coherence, L1Stats, L1StoreSettings, L1Tags } from './l1-entry.js';
/**
 * The L1: decoded values in this process, in front of a remote backend, in least-recently-used
 * order, bounded by entry count and bytes, each entry living at most `ttlMs` and never past its
 * L2 ttl. It is the sink of its invalidation source, and guards every fill against a read that an
 * invalidation overtook (the read-versus-invalidate race): a fill needs a {@link FillTicket} taken
 * before the read, and lands only if the key's generation and the store's epoch are unchanged.
 *
 * An entry expired by a write elsewhere (a `set`) or by a gap is never served as fresh again, but
 * is kept, within the same bounds, until its life ends: a read-through's `staleIfError` may serve
 * it ({@link kept}) when its function fails and the L2 has nothing better. A delete or a clear
 * drops entries outright.
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
  // Of the entries held, the expired ones kept for staleIfError.
  #kept = 0;
  // Bumped by expireAll, down and up, so that no read in flight across one of them fills.
  #epoch = 0;
  // Bumped whenever a tag key's entry leaves the L1 or is expired (see HeldTags).
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

  /**
   * Entries held, the expired ones kept for `staleIfError` included (an entry past its life is
   * dropped when next read, or evicted).
   */
  get size(): number {
    return this.#entries.size;
  }

  /** Entries held that are not expired (some may be past their life, dropped when next read). */
  get freshEntries(): number {
    return this.#entries.size - this.#kept;
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
    // One comparison on a fresh hit: an expired entry (EXPIRED) fails it as one past its life does.
    const now = this.#clock.now();
    if (entry.freshUntil <= now) {
      this.#stale(entry);
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
    if (entry.freshUntil <= now) {
      this.#stale(entry);
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
    const until = this.#clock.now() + lifeMs;
    const entry: L1Entry = {
      key: ticket.key,
      value: this.#settings.copy === 'clone' ? structuredClone(value) : value,
      freshUntil: until,
      keepUntil: until,
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

  /** Gives up a ticket without filling (the read failed). */
  abandon(ticket: FillTicket): void {
    const pending = ticket.pending;
    if (--pending.readers === 0 && this.#pending.get(ticket.key) === pending)
      this.#pending.delete(ticket.key);
  }

  /**
   * The snapshot of `key` if the L1 holds it as a fresh tagged entry (served or not: its tokens
   * may be missing from the L1); `undefined` otherwise, and while degraded. The entry becomes the
   * most recent, so that filling its tokens does not evict it.
   */
  tagsOf(key: string): L1Tags | undefined {
    const entry = this.#entries.get(key);
    if (entry?.tags === undefined || !this.#live || entry.freshUntil <= this.#clock.now()) return undefined;
    this.#order.moveToEnd(entry);
    return entry.tags;
  }

  /** The token the L1 holds (fresh) for a tag key, or `undefined`. Moves nothing. */
  token(tagKey: string): string | undefined {
    const entry = this.#entries.get(tagKey);
    if (entry === undefined || !this.#live || entry.freshUntil <= this.#clock.now()) return undefined;
    return entry.value as string;
  }

  /**
   * Gives up a ticket whose read found nothing: the key is gone from the L2 (deleted, or expired
   * there), so an expired entry kept for it goes too, unless an invalidation or a gap came after
   * the ticket was taken (then the miss may be older than the entry's news).
   */
  missed(ticket: FillTicket): void {
    this.abandon(ticket);
    if (ticket.epoch !== this.#epoch || ticket.generation !== ticket.pending.generation) return;
    const entry = this.#entries.get(ticket.key);
    if (entry !== undefined && entry.freshUntil === EXPIRED) this.#drop(entry);
  }

  /**
   * The value held for `key`, fresh or expired (kept for `staleIfError`), or `undefined` when none
   * is held or it is past its life. Whether it may be served, and how, is the caller's to decide
   * (a read-through serves it only as a stale result, when its function failed). Whatever the
   * coherence; moves nothing.
   */
  kept(key: string): unknown {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.keepUntil <= this.#clock.now()) return undefined;
    // Invalidation wins over staleIfError: a tagged entry only while its tags are known current.
    if (entry.tags !== undefined && !tagsCurrent(entry.tags, this.#entries, this.#clock.now()))
      return undefined;
    return this.#clone ? structuredClone(entry.value) : entry.value;
  }

  /**
   * Expires the entries of `keys` (written elsewhere): they are not served as fresh any more, but
   * kept for `staleIfError` until their life ends or the LRU evicts them. Fills in flight of those
   * keys are cancelled.
   */
  expire(keys: readonly string[]): void {
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry?.tag === true) {
        // A tag key written elsewhere: its token is of no use, fresh or stale.
        this.#drop(entry);
        this.#invalidated++;
      } else if (entry !== undefined && entry.freshUntil !== EXPIRED) {
        entry.freshUntil = EXPIRED;
        this.#kept++;
        this.#invalidated++;
      }
      this.#cancelFills(key);
    }
  }

  /** Drops the entries of `keys` (deleted, here or elsewhere), and cancels their fills in flight. */
  remove(keys: readonly string[]): void {
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry !== undefined) {
        // An entry already expired was counted when it was.
        if (entry.freshUntil !== EXPIRED) this.#invalidated++;
        this.#drop(entry);
      }
      this.#cancelFills(key);
    }
  }

  /** Expires every entry (kept for `staleIfError`, as {@link expire} does), and cancels every fill in flight. */
  expireAll(): void {
    this.#epoch++;
    this.#tagEpoch++;
    // O(entries), but only at a gap or a whole-namespace expiry, never on a read.
    for (const entry of this.#entries.values()) entry.freshUntil = EXPIRED;
    this.#kept = this.#entries.size;
  }

  /** Drops every entry (the namespace was cleared), and cancels every fill in flight. */
  removeAll(): void {
    this.#epoch++;
    this.#tagEpoch++;
    this.#entries.clear();
    this.#order.clear();
    this.#slots = [];
    this.#free = [];
    this.#bytes = 0;
    this.#kept = 0;
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

  // An entry a read found not fresh: kept while it has life left (it was expired), else dropped.
  #stale(entry: L1Entry): void {
    if (entry.freshUntil !== EXPIRED) {
      this.#drop(entry);
      this.#expired++;
    } else if (entry.keepUntil <= this.#clock.now()) this.#drop(entry);
  }

  // A tagged entry's full check (see checkTags): one whose tag changed is dropped.
  #tagsHold(entry: L1Entry, tags: HeldTags, now: number): boolean {
    const found = checkTags(tags, this.#entries, this.#slots, now, this.#tagEpoch);
    if (found === CHANGED) {
      this.#drop(entry);
      this.#invalidated++;
    }
    return found === HOLD;
  }

  #cancelFills(key: string): void {
    const pending = this.#pending.get(key);
    if (pending !== undefined) pending.generation++;
  }

  #remove(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#drop(entry);
    return true;
  }

  #drop(entry: L1Entry): void {
    if (entry.tag) this.#tagEpoch++;
    if (entry.freshUntil === EXPIRED) this.#kept--;
    this.#entries.delete(entry.key);
    this.#slots[entry.slot] = undefined;
    this.#free.push(entry.slot);
    this.#order.remove(entry);
    this.#bytes -= entry.size;
  }

  #evict(): void {
    const { maxSize, maxBytes } = this.#settings;
    // Expired entries kept for staleIfError count and are evicted like any other: the bounds hold.
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
