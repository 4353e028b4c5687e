import type { Backend } from './backends/backend.js';
import { requireCapability, type BackendCapabilities } from './backends/capabilities.js';
import { describeValue } from './describe.js';
import { CacheClosedError } from './errors.js';
import type { KeySpace } from './key-space.js';
import { escapeGlob } from './keys.js';
import { threw } from './backend-port.js';
import { NO_FALLBACK, type OperationRunner } from './operation.js';
import type { OperationOptions } from './options.js';

/**
 * `Cache.scan`: the backend's pages of final keys matching a glob in the cache's key space, as
 * the caller's keys. Each page is fetched as an operation of its own, under the time limit and
 * the signal, so a server that stops answering ends the walk with a CacheTimeoutError.
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
  if (typeof glob !== 'string' || glob === '')
    throw new TypeError(`scan needs a non-empty glob; got ${describeValue(glob)}`);
  const count = options?.count ?? 1_000;
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`count must be a positive integer; got ${describeValue(count)}`);
  requireCapability(can.scan, backend, 'scan', 'scan');
  const { prefix, suffix } = keys.affixes(options, true);
  let pages: AsyncIterator<string[]>;
  try {
    pages = backend.scan!(escapeGlob(prefix) + glob + escapeGlob(suffix), count, options?.signal)[
      Symbol.asyncIterator
    ]();
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
      yield page.value.map((key) => key.slice(prefix.length, key.length - suffix.length));
    }
  } finally {
    // A walk stopped early (break, timeout, abort) lets the backend release its cursor; what that
    // throws must not hide how the walk ended.
    try {
      void Promise.resolve(pages.return?.()).catch(() => undefined);
    } catch {
      // Nothing to add to the walk's own outcome.
    }
  }
}
