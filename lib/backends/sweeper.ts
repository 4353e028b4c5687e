import { AsyncResource } from 'node:async_hooks';
import timers from 'node:timers';
import type { Clock } from '../clock.js';
import { ExpiryHeap } from './expiry-heap.js';
import type { SlotTable } from './slot-table.js';

/** The longest delay a Node.js timer keeps (about 24.8 days); a later time is reached in steps. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

// Compact the expiry heap when stale pushes outnumber live entries by this much.
const HEAP_SLACK = 1_024;

// The timer is made in the async scope this module was loaded in, not in that of the write that
// aims it: otherwise it would hold the writer's AsyncLocalStorage stores for as long as it waits, and
// a timer re-aimed from its own callback would carry the first writer's for good. It is reached
// through node:timers rather than the global, so that code watching the global setTimeout for
// operation timers (the cache checks that a synchronous backend starts none) does not count it;
// fake timers (sinon's, Vitest's) replace both.
const TIMER_SCOPE = new AsyncResource('LarderSweep');

/**
 * The memory backend's background reclamation: a min-heap of its entries' expiry times, and one
 * unref'd timer aimed at the earliest of them. The timer is re-aimed when an earlier expiry is
 * scheduled; there is none while nothing expires, and none after {@link Sweeper.close}. Runs are
 * batched: one comes no sooner than `minGapMs` after the previous one (the first, no sooner than
 * `minGapMs` after the backend was made), so entries expiring close together go in one run.
 *
 * Nothing waits on a per-entry timer, so an expiry beyond a timer's 24.8-day limit is reached in
 * steps: a run that finds nothing due simply aims again.
 *
 * A slot is pushed onto the heap only when no push of it is due at or before the new expiry
 * (`SlotTable.dueAt`). An entry rewritten with a ttl, the common case, is later than its last push,
 * so the write pushes nothing: when that push comes out, the run finds the entry alive and pushes
 * it again at its current expiry. The heap thus holds about one push per entry with a ttl, however
 * often entries are rewritten.
 */
export class Sweeper {
  readonly #table: SlotTable;
  readonly #clock: Clock;
  readonly #minGapMs: number;
  readonly #remove: (slot: number) => void;
  readonly #heap = new ExpiryHeap<number>();
  #timer: NodeJS.Timeout | undefined = undefined;
  // The clock time the timer is aimed at; Infinity while there is no timer.
  #aimedAt = Infinity;
  #lastRun: number;
  #closed = false;

  /**
   * @param table - the entries, read for their current expiry times.
   * @param clock - the backend's clock.
   * @param minGapMs - the least time between two runs, between 1 ms and {@link MAX_TIMER_DELAY_MS}.
   * @param remove - removes the entry in a slot from the store.
   */
  constructor(table: SlotTable, clock: Clock, minGapMs: number, remove: (slot: number) => void) {
    this.#table = table;
    this.#clock = clock;
    this.#minGapMs = minGapMs;
    this.#remove = remove;
    this.#lastRun = clock.now();
  }

  /** How many pushes the heap holds, stale ones included. */
  get pending(): number {
    return this.#heap.size;
  }

  /** The clock time the next run is aimed at; Infinity while none is scheduled. */
  get aimedAt(): number {
    return this.#aimedAt;
  }

  /** Notes that the entry in `slot` now expires at `at` (clock time); `entries`: how many are held. */
  schedule(slot: number, at: number, entries: number): void {
    const dueAt = this.#table.dueAt;
    const due = dueAt[slot]!;
    // A push due no later comes out first, and the run it wakes pushes the entry again.
    if (due !== 0 && due <= at) return;
    dueAt[slot] = at;
    // An expiry brought forward leaves the later push behind, skipped when it comes out.
    this.#heap.push(at, slot);
    if (this.#heap.size > 2 * entries + HEAP_SLACK) this.#compact();
    if (at < this.#aimedAt) this.#aim(at);
  }

  /** Reclaims every entry that has expired by now, and stops the timer if nothing else expires. */
  sweep(): void {
    this.#reclaim(this.#clock.now());
    if (this.#heap.size === 0) this.#stop();
  }

  /** Forgets every expiry (the store has been emptied). */
  clear(): void {
    this.#heap.clear();
    this.#table.dueAt.fill(0);
    this.#stop();
  }

  /** Forgets every expiry and never sets a timer again. */
  close(): void {
    this.clear();
    this.#closed = true;
  }

  #aim(at: number): void {
    if (this.#closed) return;
    const target = Math.max(at, this.#lastRun + this.#minGapMs);
    if (target >= this.#aimedAt) return;
    if (this.#timer !== undefined) timers.clearTimeout(this.#timer);
    this.#aimedAt = target;
    const delay = Math.min(Math.max(target - this.#clock.now(), 1), MAX_TIMER_DELAY_MS);
    this.#timer = TIMER_SCOPE.runInAsyncScope(timers.setTimeout, undefined, this.#run, delay);
    this.#timer.unref();
  }

  #stop(): void {
    if (this.#timer !== undefined) timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#aimedAt = Infinity;
  }

  readonly #run = (): void => {
    this.#timer = undefined;
    this.#aimedAt = Infinity;
    const now = this.#clock.now();
    this.#lastRun = now;
    this.#reclaim(now);
    if (this.#heap.size > 0) this.#aim(this.#heap.next);
  };

  #reclaim(now: number): void {
    const table = this.#table;
    const { keys } = table;
    // A slot may come out stale: freed (no key), rewritten with a later expiry, or freed and taken
    // by another key since. Only an entry whose current expiry has passed is removed; one that
    // expires later is pushed again, unless a push due no later is still to come.
    for (const [at, slot] of this.#heap.popExpired(now)) {
      const dueAt = table.dueAt;
      if (dueAt[slot] === at) dueAt[slot] = 0;
      if (keys[slot] === undefined) continue;
      const expiresAt = table.expiresAt[slot]!;
      if (expiresAt === 0) continue;
      if (expiresAt <= now) {
        this.#remove(slot);
      } else if (dueAt[slot] === 0 || dueAt[slot]! > expiresAt) {
        dueAt[slot] = expiresAt;
        this.#heap.push(expiresAt, slot);
      }
    }
  }

  // Drops the heap's stale pushes: one push per entry that expires, at its current time.
  #compact(): void {
    const { keys, expiresAt, dueAt } = this.#table;
    const times: number[] = [];
    const slots: number[] = [];
    for (let slot = 1; slot < keys.length; slot++) {
      const at = keys[slot] === undefined ? 0 : expiresAt[slot]!;
      dueAt[slot] = at;
      if (at === 0) continue;
      times.push(at);
      slots.push(slot);
    }
    this.#heap.replace(times, slots);
  }
}
