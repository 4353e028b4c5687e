// The in-memory subjects: the raw floors (Map + await, lru-cache), larder, and the async peers,
// each set up the way its README shows; `capacity` bounds the LRU stores that take a size.
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache } from 'cache-manager';
import { Cacheable, KeyvCacheableMemory } from 'cacheable';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import { Cache, MemoryBackend } from '../dist/index.js';
import type { Subject } from './subject.js';

/** Which memory subjects exist, in the order the tables list them. */
export const MEMORY_SUBJECTS = [
  'Map + await',
  'lru-cache',
  'larder',
  'cache-manager',
  'keyv',
  'cacheable',
  'bentocache',
] as const;
export type MemorySubjectName = (typeof MEMORY_SUBJECTS)[number];

export function memorySubject(name: MemorySubjectName, capacity: number): Subject {
  switch (name) {
    case 'Map + await': {
      const map = new Map<string, object>();
      // A Map has no expiry: its ttl'd write stores the deadline beside the value, and its read
      // checks it, which is the least any cache with ttls must do.
      const timed = new Map<string, { value: object; until: number }>();
      return {
        name,
        kind: 'raw',
        get: (key) => {
          const entry = timed.get(key);
          if (entry !== undefined) return entry.until > Date.now() ? entry.value : undefined;
          return map.get(key);
        },
        set: (key, value) => map.set(key, value),
        setWithTtl: (key, value, ttl) => timed.set(key, { value, until: Date.now() + ttl }),
      };
    }
    case 'lru-cache': {
      const lru = new LRUCache<string, object>({ max: capacity });
      return {
        name,
        kind: 'raw',
        reference: true,
        get: (key) => lru.get(key),
        set: (key, value) => lru.set(key, value),
        setWithTtl: (key, value, ttl) => lru.set(key, value, { ttl }),
      };
    }
    case 'larder': {
      // The per-operation timeout is left at its default: it must cost nothing on a sync backend.
      const cache = new Cache({ backend: new MemoryBackend({ maxSize: capacity }) });
      return {
        name,
        kind: 'larder',
        get: (key) => cache.get(key),
        set: (key, value) => cache.set(key, value),
        setWithTtl: (key, value, ttl) => cache.set(key, value, { ttl }),
        close: () => cache.close(),
      };
    }
    case 'cache-manager': {
      // cache-manager 7's README: a Keyv over CacheableMemory for a bounded LRU store.
      const cache = createCache({
        stores: [new Keyv({ store: new KeyvCacheableMemory({ lruSize: capacity }) })],
      });
      return {
        name,
        kind: 'peer',
        get: (key) => cache.get(key),
        set: (key, value) => cache.set(key, value),
        setWithTtl: (key, value, ttl) => cache.set(key, value, ttl),
        close: () => cache.disconnect().then(() => undefined),
      };
    }
    case 'keyv': {
      // keyv's README: `new Keyv()` stores in memory by default (an unbounded Map).
      const keyv = new Keyv<object>();
      return {
        name,
        kind: 'peer',
        get: (key) => keyv.get(key),
        set: (key, value) => keyv.set(key, value),
        setWithTtl: (key, value, ttl) => keyv.set(key, value, ttl),
      };
    }
    case 'cacheable': {
      // cacheable's README: `new Cacheable()` keeps its primary store in memory.
      const cache = new Cacheable();
      return {
        name,
        kind: 'peer',
        get: (key) => cache.get(key),
        set: (key, value) => cache.set(key, value),
        setWithTtl: (key, value, ttl) => cache.set(key, value, ttl),
      };
    }
    case 'bentocache': {
      // bentocache's README: a one-level store with the memory driver as its L1 layer.
      const bento = new BentoCache({
        default: 'memory',
        stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: capacity })) },
      });
      return {
        name,
        kind: 'peer',
        get: (key) => bento.get({ key }),
        set: (key, value) => bento.set({ key, value }),
        setWithTtl: (key, value, ttl) => bento.set({ key, value, ttl }),
        close: () => bento.disconnect(),
      };
    }
  }
}
