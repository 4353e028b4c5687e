import type { Cache } from '../cache.js';
import type { Clock } from '../clock.js';
import { LockTimeoutError } from '../errors.js';
import type { OperationOptions } from '../options.js';
import { asStaleEntry } from '../stored-entry.js';
import { internally } from '../telemetry/internal.js';

/**
 * One refresh ahead across processes: under the entry's lock, taken without waiting (a process that
 * finds it held leaves the refresh to its holder), and only if the entry is still due (whoever held
 * the lock before may have refreshed it already). `store` computes and stores the new result. The
 * lock and the read under it are larder's own (traced as `internal`).
 */
export async function refreshAheadUnderLock(
  cache: Cache<unknown>,
  key: string,
  leaseMs: number,
  options: OperationOptions | undefined,
  clock: Clock,
  store: () => Promise<unknown>,
): Promise<void> {
  let lock;
  try {
    lock = await internally(() =>
      cache.lock(key, { lease: leaseMs, namespace: options?.namespace, version: options?.version }),
    );
  } catch (error) {
    // Held: another process is refreshing this result right now.
    if (error instanceof LockTimeoutError) return;
    throw error;
  }
  try {
    const entry = asStaleEntry(await internally(() => cache.get(key, options)));
    if (entry?.refreshAt !== undefined && clock.now() < entry.refreshAt) return;
    await store();
  } finally {
    await lock
      .release()
      .catch((err: unknown) =>
        cache.logger.warn({ key, err }, 'releasing a lock failed; it expires with its lease'),
      );
  }
}
