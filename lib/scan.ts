import type { Backend } from './backends/backend.js';
import { requireCapability, type BackendCapabilities } from './backends/capabilities.js';
import { describeValue } from './describe.js';
import { CacheClosedError } from './errors.js';
import type { KeySpace } from './key-space.js';
import { escapeGlob } from './keys.js';
import { threw } from './backend-port.js';
import { NO_FALLBACK, type OperationRunner } from './operation.js';
import type { OperationOptions } from './options.js';

/** A walk's page size, checked: `options.count`, 1,000 by default. */
export function walkCount(options: { readonly count?: number } | undefined): number {
  const count = options?.count ?? 1_000;
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`count must be a positive integer; got ${describeValue(count)}`);
  return count;
}

/** Checks a walk's glob (`what` names the operation in the message). */
export function checkWalkGlob(glob: unknown, what: string): void {
  if (typeof glob !== 'string' || glob === '')
    throw new TypeError(`${what} needs a non-empty glob; got ${describeValue(glob)}`);
}

/**
 * The pages of a backend's walk, each fetched as an operation of its own, under the time limit and
 * the signal, so a server that stops answering ends the walk with a CacheTimeoutError. A walk
 * stopped early (break, timeout, abort) lets the backend release its cursor.
 */
export async function* walkPages<P>(
  runner: OperationRunner,
  options: OperationOptions | undefined,
  open: () => AsyncIterable<P>,
): AsyncGenerator<P> {
  let pages: AsyncIterator<P>;
  try {
    pages = open()[Symbol.asyncIterator]();
  } catch (error) {
    throw runner.recover('scan', undefined, threw(error), NO_FALLBACK, undefined, true);
  }
  try {
    for (;;) {
      // Each page is a run of its own: no hooks observe scan, and its failures are classified
      // and bounded as any other operation's.
      const page = await runner.run({
        op: 'scan',
        options,
        fallback: NO_FALLBACK,
        work: () => {
          try {
            return pages.next();
          } catch (error) {
            throw threw(error);
          }
        },
      });
      if (page.done === true) return;
      yield page.value;
    }
  } finally {
    // What releasing the cursor throws must not hide how the walk ended.
    try {
      void Promise.resolve(pages.return?.()).catch(() => undefined);
    } catch {
      // Nothing to add to the walk's own outcome.
    }
  }
}

/**
 * `Cache.scan`: the backend's pages of final keys matching a glob in the cache's key space, as
 * the caller's keys (see {@link walkPages}).
 *
 * @throws TypeError for a bad glob or count; UnsupportedOperationError if the backend cannot list keys.
 */
export async function* scanPages(
  backend: Backend,
  can: BackendCapabilities,
  keys: KeySpace,
  runner: OperationRunner,
  glob: string,
  options: (OperationOptions & { readonly count?: number }) | undefined,
): AsyncGenerator<string[]> {
  if (runner.closed) throw new CacheClosedError('scan');
  checkWalkGlob(glob, 'scan');
  const count = walkCount(options);
  requireCapability(can.scan, backend, 'scan', 'scan');
  const { prefix, suffix } = keys.affixes(options, true);
  const pattern = escapeGlob(prefix) + glob + escapeGlob(suffix);
  for await (const page of walkPages(runner, options, () => backend.scan!(pattern, count, options?.signal))) {
    yield page.map((key) => key.slice(prefix.length, key.length - suffix.length));
  }
}
