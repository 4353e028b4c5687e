// What a read-through stores when a stale mode, `hits` or `refreshAhead` is on: the result in an
// envelope that says how fresh it is (lib/read-through.ts reads it).
import { randomUUID } from 'node:crypto';

const STALE_MARK = '__larder_stale__';

/**
 * A stored result and when it stops being fresh; with `refreshAhead`, when a hit starts
 * refreshing it; with `hits`, the id of its hit counter (a key of its own, so a new result never
 * inherits an old count).
 */
export interface StaleEntry<R> {
  readonly [STALE_MARK]: 1;
  readonly value: R;
  readonly freshUntil: number;
  readonly refreshAt?: number;
  readonly hits?: string;
}

/** freshUntil of an entry with no ttl of its own (hits without a ttl): a number, as JSON keeps it. */
export const NEVER = Number.MAX_SAFE_INTEGER;

/** The envelope of `value` stored at `now` for `ttlMs` (0 or undefined: no ttl of its own). */
export function storedEntry<R>(
  value: R,
  now: number,
  ttlMs: number | undefined,
  refreshAhead: number | undefined,
  counted: boolean,
): StaleEntry<R> {
  // Fields only when used: a serializer may keep an undefined field as null.
  const entry: { -readonly [F in keyof StaleEntry<R>]: StaleEntry<R>[F] } = {
    [STALE_MARK]: 1,
    value,
    freshUntil: ttlMs ? now + ttlMs : NEVER,
  };
  if (refreshAhead !== undefined && ttlMs) entry.refreshAt = now + Math.floor(ttlMs * refreshAhead);
  if (counted) entry.hits = randomUUID();
  return entry;
}

/** The key of the hit counter of an entry of `key` (same key space). */
export function hitCounterKey(key: string, id: string): string {
  return `${key}#hits:${id}`;
}

/** `stored` as an envelope, or `undefined` if it is not one. */
export function asStaleEntry<R>(stored: unknown): StaleEntry<R> | undefined {
  const entry = stored as Partial<StaleEntry<R>> | null;
  return typeof entry === 'object' &&
    entry !== null &&
    entry[STALE_MARK] === 1 &&
    typeof entry.freshUntil === 'number'
    ? (entry as StaleEntry<R>)
    : undefined;
}
