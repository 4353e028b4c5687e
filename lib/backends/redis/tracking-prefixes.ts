/**
 * The key prefixes a tracking connection asks Redis to watch (`CLIENT TRACKING … BCAST PREFIX p …`).
 *
 * Redis refuses two prefixes of one connection when either starts with the other (`ERR Prefix
 * 'app:users:' overlaps with an existing prefix 'app:'`), including a prefix sent twice. Every key
 * under the longer one is under the shorter one too, so the shorter alone watches both: the set
 * sent is the registered prefixes with every one that another covers left out. The empty prefix
 * (a cache without a namespace) covers every key, and is sent as no `PREFIX` at all, which is how
 * Redis spells "every key" in BCAST mode.
 */

/**
 * The smallest set of prefixes that watches every key under any of `prefixes`, with no two that
 * overlap, in a stable (sorted) order.
 *
 * @example
 * ```ts
 * mergePrefixes(['app:users:', 'app:', 'shop:']); // ['app:', 'shop:']
 * mergePrefixes(['app:', '']);                    // ['']
 * ```
 */
export function mergePrefixes(prefixes: Iterable<string>): string[] {
  // Sorted, a prefix comes right before the strings it covers, and whatever covers a string
  // covers the ones in between: one comparison with the last one kept decides each.
  const sorted = [...new Set(prefixes)].sort();
  const kept: string[] = [];
  for (const prefix of sorted) {
    const last = kept.at(-1);
    if (last === undefined || !prefix.startsWith(last)) kept.push(prefix);
  }
  return kept;
}

/** Whether two merged prefix sets are the same (both as {@link mergePrefixes} returns them). */
export function samePrefixes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((prefix, index) => prefix === b[index]);
}

/**
 * The arguments of `CLIENT TRACKING ON` that redirect the invalidations of keys under `prefixes`
 * (merged) to the connection `redirectId`, in broadcasting mode.
 */
export function trackingArguments(redirectId: string, prefixes: readonly string[]): string[] {
  const args = ['TRACKING', 'ON', 'REDIRECT', redirectId, 'BCAST'];
  // [''] watches everything: BCAST with no PREFIX.
  for (const prefix of prefixes) if (prefix !== '') args.push('PREFIX', prefix);
  return args;
}

/**
 * Counts who registered which prefix, so that a prefix stays watched while anyone still wants it
 * and the merged set is known after each change.
 */
export class PrefixRegistry {
  readonly #counts = new Map<string, number>();
  #merged: string[] = [];

  /** The merged set of every prefix registered now. */
  get merged(): readonly string[] {
    return this.#merged;
  }

  /** Registers `prefix` once more; returns whether the merged set changed. */
  add(prefix: string): boolean {
    this.#counts.set(prefix, (this.#counts.get(prefix) ?? 0) + 1);
    return this.#remerge();
  }

  /** Takes back one registration of `prefix` (none: nothing happens); returns whether the merged set changed. */
  remove(prefix: string): boolean {
    const count = this.#counts.get(prefix);
    if (count === undefined) return false;
    if (count > 1) this.#counts.set(prefix, count - 1);
    else this.#counts.delete(prefix);
    return this.#remerge();
  }

  #remerge(): boolean {
    const merged = mergePrefixes(this.#counts.keys());
    if (samePrefixes(merged, this.#merged)) return false;
    this.#merged = merged;
    return true;
  }
}
