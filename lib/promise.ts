/** Whether a backend answered with a promise (or any thenable) rather than a plain value. */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Whether `value` is a promise of this realm's `Promise` (every async function's is). It reads one
 * prototype pointer and no property, which matters on the memory hot path: `instanceof` walks the
 * prototype chain and costs a memoised hit about 50 ns more, and a `then` lookup on a stored value
 * touches memory the read had no other reason to touch (for some object shapes, such as
 * `{ ...base, extra }`, V8 cannot cache that lookup, which made a memory get three times slower).
 */
export function isNativePromise(value: unknown): value is Promise<unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Promise.prototype;
}

/**
 * Whether a backend's answer is still to come. From a backend that declares itself `synchronous`
 * only a native promise counts (see isNativePromise); from any other backend, any thenable.
 */
export function isPending<T>(answer: T | PromiseLike<T>, synchronous: boolean): answer is PromiseLike<T> {
  return synchronous ? isNativePromise(answer) : isPromiseLike(answer);
}

/** A value, or a promise of it: what a backend that may answer synchronously returns. */
export type MaybePromise<T> = T | Promise<T>;

/** setTimeout takes at most a signed 32-bit delay; a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Settles with `pending`, unless `timeoutMs` passes first (rejects with `onTimeout()`) or `signal`
 * aborts (rejects with its reason). The timer is unref'd, so it never keeps the process alive,
 * and `pending` keeps a handler, so a late rejection is never unhandled.
 *
 * @param timeoutMs - `0` for no time limit.
 */
export function settleWithin<T>(
  pending: PromiseLike<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onTimeout: () => Error,
): Promise<T> {
  if (timeoutMs === 0 && signal === undefined) return Promise.resolve(pending);
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      cleanup();
      reject(signal!.reason);
    };
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    if (timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS) {
      timer = setTimeout(() => {
        cleanup();
        reject(onTimeout());
      }, timeoutMs);
      timer.unref();
    }
    if (signal !== undefined) {
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
    }
    pending.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
