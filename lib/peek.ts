import type { CacheCore } from './cache-core.js';
import { isNativePromise } from './promise.js';

/**
 * What `Cache.peek` answers: the value of `key` read on the spot, never over the network. With an
 * L1, its fresh entry; over a synchronous backend (memory), the stored value; otherwise, and for
 * a closed cache or any failure, `undefined`.
 *
 * @throws TypeError for a bad key (also on a closed cache: the mistake is the caller's either way).
 */
export function peekNow<V>(core: CacheCore<V>, key: unknown, closed: boolean): V | undefined {
  if (closed) {
    core.keys.finalKey(key);
    return undefined;
  }
  if (core.tier !== undefined) return core.tier.peek(key);
  const finalKey = core.keys.readKey(key);
  if (!core.synchronous) return undefined;
  try {
    const payload = core.backend.get(finalKey);
    if (payload === undefined || isNativePromise(payload)) return undefined;
    // A tagged entry: its tags are read on the spot too (a synchronous backend answers at once).
    const value = core.decodeStored(payload, key);
    return isNativePromise(value) ? undefined : (value as V | undefined);
  } catch {
    return undefined;
  }
}
