// Which of Cache's direct paths a cache may take, decided once when it is built. Each direct path
// answers as the operation runner would, minus the work its conditions make needless; Cache
// copies these into its own fields, so its hot paths read them without a second load.
import { MemoryBackend } from './backends/memory.js';
import type { CacheCore } from './cache-core.js';

/** The conditions of Cache's direct paths. */
export interface CachePaths {
  /** get may skip the runner: no plugin observes gets, and no L1 stands in front of the backend. */
  readonly getFast: boolean;
  /** set may skip the runner: no plugin observes sets, and no L1 stands in front of the backend. */
  readonly setFast: boolean;
  /** gets read remembered key handles with the backend's `peek`. */
  readonly peeks: boolean;
  /** sets write remembered key handles with the backend's `put`. */
  readonly puts: boolean;
  /**
   * get may read the store itself: a memory backend (read through its own get or peek, which
   * answer stored values, never a pending answer) and a pass-through serializer (nothing to decode).
   */
  readonly readsStore: boolean;
  /** The read-throughs may read a handle on the spot: peek, and no plugin observing gets. */
  readonly readsNow: boolean;
  /** They may read a caller's key on the spot: a synchronous get, and no plugin observing gets. */
  readonly getsNow: boolean;
  /**
   * getOrSet may read as get does and go to the engine only on a miss: no plugin observing
   * getOrSet or its inner get. On a synchronous backend a hit is then answered on the spot.
   */
  readonly readsThrough: boolean;
}

export function pathsOf(core: CacheCore<unknown>): CachePaths {
  const getFast = !core.runner.observes('get') && core.tier === undefined;
  return Object.freeze({
    getFast,
    setFast: !core.runner.observes('set') && core.tier === undefined,
    peeks: core.capabilities.peek && core.keys.remembers,
    puts: core.capabilities.put && core.keys.remembers,
    readsStore: getFast && core.synchronous && core.tagObjects && core.backend instanceof MemoryBackend,
    readsNow: getFast && core.capabilities.peek,
    getsNow: getFast && core.synchronous,
    readsThrough: getFast && !core.runner.observes('getOrSet'),
  });
}
