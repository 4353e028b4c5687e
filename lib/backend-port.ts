import type { Backend, KeyHandle } from './backends/backend.js';
import { LarderError } from './errors.js';

/**
 * What a backend threw synchronously, marked as the backend's doing: the operation runner turns
 * it into a `BackendError` for the operation that called it (an argument check's `TypeError`,
 * thrown by the cache itself before the backend is called, stays as it is).
 */
export class BackendThrew {
  constructor(readonly cause: unknown) {}
}

/** What a backend threw, marked as its failure (a LarderError stays as it is). */
export function threw(error: unknown): unknown {
  return error instanceof LarderError ? error : new BackendThrew(error);
}

/**
 * The backend as the cache calls it: the same methods, but whatever a method throws is marked as
 * the backend's failure (see {@link BackendThrew}), so that a driver's own `TypeError` is a
 * `BackendError`, which safe mode and cached()'s fail-open handle, and never mistaken for an
 * argument mistake. Rejections need no marking: the cache has checked every argument before the
 * backend answers with a promise. try/catch costs nothing until something throws.
 */
export class BackendPort {
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  get(key: string): unknown {
    try {
      return this.#backend.get(key);
    } catch (error) {
      throw threw(error);
    }
  }

  peek(handle: KeyHandle): unknown {
    try {
      return this.#backend.peek!(handle);
    } catch (error) {
      throw threw(error);
    }
  }

  multiGet(keys: readonly string[]): unknown {
    try {
      return this.#backend.multiGet(keys);
    } catch (error) {
      throw threw(error);
    }
  }

  set(key: string, value: unknown, ttlMs: number): unknown {
    try {
      return this.#backend.set(key, value, ttlMs);
    } catch (error) {
      throw threw(error);
    }
  }

  /** Calls `backend[method](...args)`, marking what it throws; for the operations off the hot path. */
  call<M extends BackendMethod>(
    method: M,
    ...args: Parameters<Required<Backend>[M]>
  ): ReturnType<Required<Backend>[M]> {
    try {
      const fn = this.#backend[method] as (...a: unknown[]) => ReturnType<Required<Backend>[M]>;
      return fn.apply(this.#backend, args);
    } catch (error) {
      throw threw(error);
    }
  }
}

/** The names of the backend's methods. */
export type BackendMethod = {
  [K in keyof Backend]-?: Required<Backend>[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Backend];
