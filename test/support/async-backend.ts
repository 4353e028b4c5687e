import { MemoryBackend, type MemoryBackendOptions } from '../../lib/index.js';

/**
 * A real MemoryBackend whose every answer arrives on a later turn of the event loop after
 * `delayMs`, as a network backend's would. Used to exercise the cache's async path (timeouts,
 * aborts) around the real store, with no mock in between.
 */
export class DelayedMemoryBackend extends MemoryBackend {
  delayMs: number;

  constructor(delayMs = 0, options?: MemoryBackendOptions) {
    super(options);
    this.delayMs = delayMs;
  }

  override get(key: string): Promise<unknown> {
    return this.#later(() => super.get(key));
  }
  override multiGet(keys: readonly string[]): Promise<unknown[]> {
    return this.#later(() => super.multiGet(keys));
  }
  override set(key: string, value: unknown, ttlMs: number): Promise<void> {
    return this.#later(() => super.set(key, value, ttlMs));
  }
  override add(key: string, value: unknown, ttlMs: number): Promise<boolean> {
    return this.#later(() => super.add(key, value, ttlMs));
  }
  override multiSet(entries: readonly (readonly [string, unknown])[], ttlMs: number): Promise<void> {
    return this.#later(() => super.multiSet(entries, ttlMs));
  }
  override exists(key: string): Promise<boolean> {
    return this.#later(() => super.exists(key));
  }
  override increment(key: string, delta: number, initial: unknown): Promise<number> {
    return this.#later(() => super.increment(key, delta, initial));
  }
  override expire(key: string, ttlMs: number): Promise<boolean> {
    return this.#later(() => super.expire(key, ttlMs));
  }
  override ttl(key: string): Promise<number | undefined> {
    return this.#later(() => super.ttl(key));
  }
  override delete(key: string): Promise<number> {
    return this.#later(() => super.delete(key));
  }
  override multiDelete(keys: readonly string[]): Promise<number> {
    return this.#later(() => super.multiDelete(keys));
  }
  override deletePattern(pattern: string): Promise<number> {
    return this.#later(() => super.deletePattern(pattern));
  }
  override clear(): Promise<void> {
    return this.#later(() => super.clear());
  }

  #later<T>(answer: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(answer());
        } catch (error) {
          reject(error as Error);
        }
      }, this.delayMs);
    });
  }
}
