/**
 * Every error larder raises on purpose extends {@link LarderError} and carries a stable string
 * `code`, so callers can branch on `err.code` or `instanceof` without parsing messages. Codes are
 * never reused for a different meaning.
 */

/** Options common to every larder error. */
export interface LarderErrorOptions {
  /** The underlying error, when this one wraps another. */
  readonly cause?: unknown;
}

// Marks larder's errors, including those that must extend a built-in error instead (see
// NotAnIntegerError), so that `instanceof LarderError` holds for every one of them.
const LARDER_ERROR: unique symbol = Symbol.for('larder.error');

/** Base class of every error larder raises on purpose. */
export class LarderError extends Error {
  /** Stable machine-readable identifier, e.g. `'LARDER_TIMEOUT'`. */
  readonly code: string;

  constructor(message: string, code = 'LARDER_ERROR', options?: LarderErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  /**
   * `error instanceof LarderError` holds for every larder error, also for those that extend a
   * built-in error class so that the contract's `TypeError` still holds (NotAnIntegerError).
   * Subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== LarderError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && LARDER_ERROR in value;
  }

  static {
    Object.defineProperty(LarderError.prototype, LARDER_ERROR, { value: true });
  }
}

/** `add()` found the key already present. */
export class KeyExistsError extends LarderError {
  /** The key as the caller gave it (before namespacing). */
  readonly key: string;

  constructor(key: string) {
    super(`key "${key}" already exists`, 'LARDER_KEY_EXISTS');
    this.key = key;
  }
}

/** An operation did not finish within its `timeout`. */
export class CacheTimeoutError extends LarderError {
  /** The cache operation that timed out, e.g. `'get'`. */
  readonly op: string;
  /** The key involved, when the operation has exactly one. */
  readonly key: string | undefined;
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(op: string, timeoutMs: number, key?: string) {
    super(
      `${op}${key === undefined ? '' : ` of key "${key}"`} timed out after ${timeoutMs} ms`,
      'LARDER_TIMEOUT',
    );
    this.op = op;
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}

/** The backend failed (connection lost, server error, …); the original error is `cause`. */
export class BackendError extends LarderError {
  /** The cache operation that failed. */
  readonly op: string;
  /** The backend's name, e.g. `'memory'` or `'redis'`. */
  readonly backend: string;

  /** `subclass` is for subclasses that say more (OutcomeUnknownError): their message and code. */
  constructor(
    op: string,
    backend: string,
    cause: unknown,
    subclass?: { readonly message: string; readonly code: string },
  ) {
    super(
      subclass?.message ?? `${backend} backend failed during ${op}: ${messageOf(cause)}`,
      subclass?.code ?? 'LARDER_BACKEND',
      { cause },
    );
    this.op = op;
    this.backend = backend;
  }
}

/**
 * A write was sent, and the connection dropped before its reply came: it may or may not have been
 * applied, and larder did not send it again (a resent write could apply twice, or overwrite a newer
 * value). Read the key to learn where it stands. A {@link BackendError}, so safe mode and
 * `cached()` treat it as a failure. docs/errors-and-timeouts.md has the guarantee.
 */
export class OutcomeUnknownError extends BackendError {
  /** The key as the backend stores it, when the write had exactly one. */
  readonly key: string | undefined;

  constructor(op: string, backend: string, cause: unknown, key?: string) {
    super(op, backend, cause, {
      code: 'LARDER_OUTCOME_UNKNOWN',
      message:
        `${op}${key === undefined ? '' : ` of key "${key}"`} may or may not have been applied: the ` +
        `connection to ${backend} dropped after it was sent and before its reply came, and larder ` +
        `did not send it again (${messageOf(cause)}); read the key to learn where it stands`,
    });
    this.key = key;
  }
}

/** A value could not be encoded, or a stored payload could not be decoded. */
export class SerializationError extends LarderError {
  /** The key involved, when known. */
  readonly key: string | undefined;
  /** The serializer's name, e.g. `'json'`. */
  readonly serializer: string;

  constructor(message: string, serializer: string, options?: LarderErrorOptions & { readonly key?: string }) {
    super(message, 'LARDER_SERIALIZATION', options);
    this.key = options?.key;
    this.serializer = serializer;
  }
}

/** A configuration (options, config object, config file or URL) is invalid. */
export class ConfigError extends LarderError {
  /** Dotted path of the offending field, e.g. `'caches.sessions.serializer.type'`, when known. */
  readonly path: string | undefined;

  constructor(message: string, options?: LarderErrorOptions & { readonly path?: string }) {
    super(message, 'LARDER_CONFIG', options);
    this.path = options?.path;
  }
}

/** `optimisticLock().set()` found that the key changed since it was read. */
export class OptimisticLockError extends LarderError {
  /** The key as the caller gave it. */
  readonly key: string;

  constructor(key: string) {
    super(`key "${key}" changed since it was read`, 'LARDER_OPTIMISTIC_LOCK');
    this.key = key;
  }
}

/** `lock()` could not acquire the lock before its `wait` ran out. */
export class LockTimeoutError extends LarderError {
  /** The key as the caller gave it. */
  readonly key: string;
  /** How long the caller waited, in milliseconds. */
  readonly waitMs: number;

  constructor(key: string, waitMs: number) {
    super(`could not acquire the lock on "${key}" within ${waitMs} ms`, 'LARDER_LOCK_TIMEOUT');
    this.key = key;
    this.waitMs = waitMs;
  }
}

/** The cache was closed; no further operations are accepted. */
export class CacheClosedError extends LarderError {
  /** The operation that was refused. */
  readonly op: string;

  constructor(op: string) {
    super(`cannot ${op}: the cache is closed`, 'LARDER_CLOSED');
    this.op = op;
  }
}

/**
 * The stored value is not an integer, so `increment` cannot add to it. A `TypeError`, as the
 * contract says, and a {@link LarderError} with a stable code.
 */
export class NotAnIntegerError extends TypeError {
  /** `'LARDER_NOT_AN_INTEGER'`. */
  readonly code = 'LARDER_NOT_AN_INTEGER';
  /** The key as the backend stores it. */
  readonly key: string;

  constructor(key: string) {
    super(`cannot increment key "${key}": the stored value is not an integer`);
    this.name = 'NotAnIntegerError';
    this.key = key;
  }

  static {
    Object.defineProperty(NotAnIntegerError.prototype, LARDER_ERROR, { value: true });
  }
}

/**
 * A value is out of a store's range: an `increment` whose result would leave the safe integer
 * range, or a value larger than the memory backend's `maxBytes`. A `RangeError`, as the contract
 * says, and a {@link LarderError} with a stable code.
 */
export class OutOfRangeError extends RangeError {
  /** `'LARDER_OUT_OF_RANGE'`. */
  readonly code = 'LARDER_OUT_OF_RANGE';
  /** The key as the backend stores it. */
  readonly key: string;

  constructor(message: string, key: string) {
    super(message);
    this.name = 'OutOfRangeError';
    this.key = key;
  }

  static {
    Object.defineProperty(OutOfRangeError.prototype, LARDER_ERROR, { value: true });
  }
}

/**
 * The backend lacks the capability an operation needs (for example `scan` on a backend that
 * cannot list keys). Found when the cache is built, reported when the operation is called; never
 * degraded by safe mode, since retrying cannot help.
 */
export class UnsupportedOperationError extends LarderError {
  /** The cache operation refused. */
  readonly op: string;
  /** The backend's name. */
  readonly backend: string;
  /** The backend method that is missing, e.g. `'scan'`. */
  readonly capability: string;

  constructor(op: string, backend: string, capability: string) {
    super(
      `the ${backend} backend cannot ${op}: it does not implement ${capability}() (see docs/writing-a-backend.md)`,
      'LARDER_UNSUPPORTED',
    );
    this.op = op;
    this.backend = backend;
    this.capability = capability;
  }
}

/**
 * A call of a `rateLimited()` function went over its limit, or came while its key is banned: the
 * function was not called. Retry after `retryAfterMs`.
 */
export class RateLimitError extends LarderError {
  /** The rate limit's key (before the cache's namespace). */
  readonly key: string;
  /** How long until a call may pass again, in milliseconds (the window's or the ban's end). */
  readonly retryAfterMs: number;

  constructor(key: string, retryAfterMs: number) {
    super(`rate limit of "${key}" reached; retry after ${retryAfterMs} ms`, 'LARDER_RATE_LIMITED');
    this.key = key;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A call of a `circuitBreaker()` function came while its circuit is open (too many recent calls
 * failed), or while another caller runs the one trial call of a half-open circuit: the function
 * was not called.
 */
export class CircuitOpenError extends LarderError {
  /** The circuit's key (before the cache's namespace). */
  readonly key: string;
  /**
   * How long until the circuit lets a trial call through, in milliseconds; `0` while a trial is
   * running (its outcome decides), `undefined` when it could not be read.
   */
  readonly retryAfterMs: number | undefined;

  constructor(key: string, retryAfterMs: number | undefined) {
    super(
      retryAfterMs === 0
        ? `circuit "${key}" is half-open: another call is its trial`
        : `circuit "${key}" is open${retryAfterMs === undefined ? '' : `; a trial call is let through in ${retryAfterMs} ms`}`,
      'LARDER_CIRCUIT_OPEN',
    );
    this.key = key;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Whether an error means the cache itself failed (down, slow, closed, unreadable payload), as
 * opposed to a mistake in the arguments: what `cached()` fails open on.
 */
export function isCacheFailure(error: unknown): boolean {
  return (
    error instanceof BackendError ||
    error instanceof CacheTimeoutError ||
    error instanceof SerializationError ||
    error instanceof CacheClosedError
  );
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
