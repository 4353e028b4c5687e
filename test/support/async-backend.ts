import type { Backend, Serializer } from '../../lib/index.js';

type Full = Required<Backend>;
type AsyncMethod = Exclude<
  keyof Full,
  'name' | 'acceptsReferences' | 'synchronous' | 'defaultSerializer' | 'scan' | 'scanEntries'
>;

/**
 * Wraps a real backend so that every answer arrives `delayMs` later on a timer, as a network
 * backend's would. It exercises the cache's async path (timeouts, aborts) around the real store,
 * with no mock in between; `delayMs` may be changed while a test runs.
 */
export class DelayedBackend implements Backend {
  readonly name: string;
  readonly acceptsReferences: boolean;
  delayMs: number;
  readonly #inner: Full;

  constructor(inner: Backend, delayMs = 0) {
    this.#inner = inner as Full;
    this.name = inner.name;
    this.acceptsReferences = inner.acceptsReferences;
    this.delayMs = delayMs;
  }

  // Listing keys is a walk over pages; its pages are passed through as they come.
  scan(pattern: string, count: number, signal?: AbortSignal): AsyncIterable<string[]> {
    return this.#inner.scan(pattern, count, signal);
  }

  scanEntries(
    pattern: string,
    count: number,
    signal?: AbortSignal,
  ): AsyncIterable<(readonly [string, unknown])[]> {
    return this.#inner.scanEntries(pattern, count, signal);
  }

  defaultSerializer(): Serializer<unknown> {
    return this.#inner.defaultSerializer();
  }

  get = this.#later('get');
  getWithTtl = this.#later('getWithTtl');
  multiGet = this.#later('multiGet');
  set = this.#later('set');
  add = this.#later('add');
  multiSet = this.#later('multiSet');
  exists = this.#later('exists');
  increment = this.#later('increment');
  expire = this.#later('expire');
  ttl = this.#later('ttl');
  delete = this.#later('delete');
  multiDelete = this.#later('multiDelete');
  deletePattern = this.#later('deletePattern');
  clear = this.#later('clear');
  raw = this.#later('raw');
  compareAndSet = this.#later('compareAndSet');
  compareAndDelete = this.#later('compareAndDelete');
  compareAndExpire = this.#later('compareAndExpire');
  close = this.#later('close');

  #later<M extends AsyncMethod>(method: M) {
    return (...args: Parameters<Full[M]>): Promise<Awaited<ReturnType<Full[M]>>> =>
      new Promise((resolve, reject) => {
        setTimeout(() => {
          try {
            const run = this.#inner[method] as (...a: Parameters<Full[M]>) => ReturnType<Full[M]>;
            Promise.resolve(run.apply(this.#inner, args)).then(resolve, reject);
          } catch (error) {
            reject(error as Error);
          }
        }, this.delayMs);
      });
  }
}
