// Cache's set off its public method: without the runner where nothing observes it, else through
// the runner. Cache (lib/cache.ts) is its public face; tagged writes live in lib/tags/.
import { threw } from './backend-port.js';
import type { KeyHandle } from './backends/backend.js';
import type { CacheCore } from './cache-core.js';
import { parseTtl } from './duration.js';
import type { Key } from './keys.js';
import type { WriteOptions } from './options.js';
import { isPending } from './promise.js';

const TRUE = Promise.resolve(true);

/**
 * set without the runner, where no plugin observes it and it writes untagged in the cache's own
 * key space: no hooks, no tracing, and no timer when the backend answers at once. Where keys are
 * remembered and the backend can `put`, it writes through the key's handle (its slot hint).
 */
export function setDirect<V>(
  core: CacheCore<V>,
  key: Key,
  value: V,
  options: WriteOptions | undefined,
): Promise<boolean> {
  const { backend, runner } = core;
  const puts = core.paths.puts;
  let finalKey: string | KeyHandle;
  let payload: unknown;
  let ttlMs: number;
  // Two steps, as get's: what the arguments throw is the caller's mistake, what the backend
  // throws is its failure.
  try {
    finalKey = puts ? core.keys.handle(key)! : core.keys.finalKey(key);
    ttlMs = options === undefined || options.ttl === undefined ? core.ttlMs : parseTtl(options.ttl);
    if (core.jitter !== undefined || options?.jitter !== undefined) ttlMs = core.jitterOf(ttlMs, options);
    payload = core.codec.encode(value, key);
  } catch (error) {
    return Promise.reject(error);
  }
  let answer: unknown;
  try {
    answer = puts
      ? backend.put!(finalKey as KeyHandle, payload, ttlMs)
      : backend.set(finalKey as string, payload, ttlMs);
  } catch (error) {
    return runner.failed('set', key, threw(error), false, false);
  }
  if (!isPending(answer, core.synchronous)) return TRUE;
  return runner.timed(answer, 'set', key).then(
    () => true,
    (error: unknown) => runner.recover('set', key, error, false, undefined, true),
  );
}

/** set through the runner (hooks, tracing, per-call key space), and the L1's invalidation. */
export function runSet<V>(
  core: CacheCore<V>,
  key: Key,
  value: V,
  options: WriteOptions | undefined,
): Promise<boolean> {
  return core.run('set', key, options, false, () => {
    const finalKey = core.keys.finalKey(key, options);
    const ttlMs = core.ttlOf(options);
    const payload = core.codec.encode(value, key);
    return core.then(core.port.set(finalKey, payload, ttlMs), () => {
      core.tier?.written('set', [finalKey], options);
      return true;
    });
  });
}
