// What an in-process store's scans yield: a list of keys cut into pages.

/** `keys` in pages of `count`, until `signal` aborts. */
export function* pagesOf(
  keys: readonly string[],
  count: number,
  signal: AbortSignal | undefined,
): Generator<string[]> {
  for (let start = 0; start < keys.length && signal?.aborted !== true; start += count) {
    yield keys.slice(start, start + count);
  }
}
