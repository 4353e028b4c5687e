// What the benchmark measures: a cache reduced to the operations the workloads use, so that
// larder, the raw floors and the peer libraries all run the very same loops.
import { deepStrictEqual } from 'node:assert';

/** A raw floor (Map, lru-cache, ioredis by hand), larder itself, or a peer library. */
export type SubjectKind = 'raw' | 'larder' | 'peer';

/** One cache under measurement. `get` and `set` may answer synchronously (Map, lru-cache). */
export interface Subject {
  readonly name: string;
  readonly kind: SubjectKind;
  /** The subject a workload's ratios are taken against. */
  readonly reference?: boolean;
  get(key: string): unknown;
  set(key: string, value: object): unknown;
  /** A write with a ttl given per call, the way applications write (memory subjects). */
  setWithTtl?(key: string, value: object, ttlMs: number): unknown;
  /** Reads many keys at once, the way the library's docs do it (MGET, getMany, mget …). */
  getMany?(keys: readonly string[]): Promise<unknown>;
  close?(): Promise<void> | void;
}

/** A ~1 KB JSON-able object, the value every workload stores. */
export const VALUE = Object.freeze({
  id: 48213,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  roles: ['admin', 'editor', 'viewer'],
  address: { street: '12 St James Square', city: 'London', zip: 'SW1Y 4JH', country: 'GB' },
  preferences: { theme: 'dark', language: 'en-GB', notifications: { email: true, sms: false, push: true } },
  history: Array.from({ length: 12 }, (_, i) => ({
    at: `2026-11-${String(i + 1).padStart(2, '0')}`,
    event: 'login',
    ok: i % 5 !== 0,
  })),
  note: 'x'.repeat(200),
});

/**
 * The value stored under `key`: a copy of VALUE of its own, as a real cache holds one object per
 * key. One object shared by every key stays in the CPU cache and hides what touching a value
 * costs: it hid a `then` lookup that made larder's memory get three times slower.
 */
export function valueFor(key: string): object {
  return { ...VALUE, key };
}

/** The 10k keys every workload works over, and 10k keys that are never written. */
export const KEYS: readonly string[] = Array.from({ length: 10_000 }, (_, i) => `user:${i}`);
export const MISSING: readonly string[] = KEYS.map((key) => `${key}:missing`);
/** Each key's own value: `VALUES[i]` belongs to `KEYS[i]`, built once so no loop allocates one. */
export const VALUES: readonly object[] = KEYS.map(valueFor);

/**
 * Writes VALUE through the subject and reads it back (singly, and through getMany when it has
 * one), so a misconfigured subject fails loudly instead of timing a no-op.
 */
export async function checkRoundTrip(subject: Subject): Promise<void> {
  const expected = JSON.parse(JSON.stringify(VALUE)) as unknown;
  const normalise = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null)) as unknown;
  await subject.set('round-trip', VALUE);
  deepStrictEqual(normalise(await subject.get('round-trip')), expected, `${subject.name}: get`);
  if (subject.getMany) {
    const many = (await subject.getMany(['round-trip'])) as unknown[];
    deepStrictEqual(normalise(many[0]), expected, `${subject.name}: getMany`);
  }
}

/** Writes each key's own value (see valueFor) under every key, 64 writes in flight at a time. */
export async function fill(subject: Subject, keys: readonly string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await subject.set(key, valueFor(key));
      }
    }),
  );
}
