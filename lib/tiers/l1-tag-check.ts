// The L1's check of a tagged entry's tags against the tokens it holds for their keys (ordinary
// L1 entries, kept coherent like any): what a hit runs when the store's tag epoch moved since the
// entry's last check, or that check is a second old (see HeldTags in lib/tiers/l1-entry.ts).
import type { HeldTags, L1Entry, L1Tags } from './l1-entry.js';

// The longest a tagged entry's hits go without a full check of its tags, which also marks them
// used for eviction's second chance (see L1Entry.used).
export const TAGS_RECHECK_MS = 1_000;

/** What {@link checkTags} found: every tag holds the entry's token, one is not held (fresh), or one differs. */
export const HOLD = 0;
export const ABSENT = 1;
export const CHANGED = 2;

/**
 * Checks each tag of a tagged entry: {@link HOLD} if the L1 holds every tag key fresh with the
 * entry's token (then the check is recorded at `epoch`, valid until the first of those tokens ends
 * or a second passes, and each tag key is marked used for eviction's second chance); {@link ABSENT}
 * if one is not held (a read of its token decides); {@link CHANGED} if one holds another token.
 */
export function checkTags(
  tags: HeldTags,
  entries: ReadonlyMap<string, L1Entry>,
  slots: readonly (L1Entry | undefined)[],
  now: number,
  epoch: number,
): typeof HOLD | typeof ABSENT | typeof CHANGED {
  const { keys, tokens, held } = tags;
  let validUntil = now + TAGS_RECHECK_MS;
  for (let i = 0; i < keys.length; i++) {
    let token = held[i];
    // Where it was found last, if it is still the entry in that slot: no hashing of the key.
    if (token === undefined || slots[token.slot] !== token) {
      token = entries.get(keys[i]!);
      if (token === undefined) return ABSENT;
      held[i] = token;
    }
    if (token.freshUntil <= now) return ABSENT;
    if (token.value !== tokens[i]) return CHANGED;
    token.used = true;
    if (token.freshUntil < validUntil) validUntil = token.freshUntil;
  }
  tags.checkedAt = epoch;
  tags.validUntil = validUntil;
  return HOLD;
}

/** Whether the L1 holds every tag of a tagged entry, fresh, with the entry's token. Changes nothing. */
export function tagsCurrent(tags: L1Tags, entries: ReadonlyMap<string, L1Entry>, now: number): boolean {
  return tags.keys.every((key, i) => {
    const token = entries.get(key);
    return token !== undefined && token.freshUntil > now && token.value === tags.tokens[i];
  });
}
