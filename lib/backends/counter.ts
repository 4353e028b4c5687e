import { NotAnIntegerError, OutOfRangeError } from '../errors.js';

/**
 * A stored counter plus `delta`, in the form the counter is stored in: a number stays a number, and
 * an integer's text (as a text serializer, or Redis, stores a counter) stays text.
 *
 * @throws NotAnIntegerError if `current` is neither a safe integer nor an integer's text.
 * @throws OutOfRangeError if the result leaves the safe integer range.
 */
export function incremented(key: string, current: unknown, delta: number): number | string {
  let next: number;
  if (typeof current === 'number' && Number.isSafeInteger(current)) {
    next = current + delta;
  } else if (
    typeof current === 'string' &&
    /^-?\d{1,16}$/.test(current) &&
    Number.isSafeInteger(Number(current))
  ) {
    next = Number(current) + delta;
  } else {
    throw new NotAnIntegerError(key);
  }
  if (!Number.isSafeInteger(next)) {
    throw new OutOfRangeError(`incrementing key "${key}" leaves the safe integer range`, key);
  }
  return typeof current === 'number' ? next : String(next);
}
