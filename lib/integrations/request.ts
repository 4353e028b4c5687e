import { describeValue } from '../describe.js';

/** A promise with its resolve and reject at hand. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A {@link Deferred}; its promise never reports an unhandled rejection (its waiters handle it). */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** A request header as Node parsed it, as one string (repeated headers joined with `, `). */
export function requestHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The key a route's response is stored under: `route:` and the URL with its query, or what the
 * route's `key` function made of the request.
 *
 * @throws TypeError if a key function made something other than a non-empty string.
 */
export function routeKey(made: unknown, keyFunction: unknown): string {
  if (keyFunction !== undefined && (typeof made !== 'string' || made === ''))
    throw new TypeError(`a route's key function must return a non-empty string; got ${describeValue(made)}`);
  return `route:${made as string}`;
}
