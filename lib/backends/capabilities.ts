import { describeValue } from '../describe.js';
import { UnsupportedOperationError } from '../errors.js';
import type { Backend } from './backend.js';

/** The methods every backend must have (see {@link Backend}). */
export const CORE_METHODS = Object.freeze([
  'defaultSerializer',
  'get',
  'multiGet',
  'set',
  'add',
  'delete',
  'multiDelete',
  'exists',
  'expire',
  'ttl',
  'clear',
  'close',
] as const);

/** The optional methods a backend may offer, each a capability of its own. */
export const CAPABILITY_METHODS = Object.freeze([
  'peek',
  'put',
  'getWithTtl',
  'stat',
  'getWithTags',
  'multiSet',
  'increment',
  'deletePattern',
  'scan',
  'scanEntries',
  'compareAndSet',
  'compareAndDelete',
  'compareAndExpire',
  'raw',
] as const);

/** A capability method's name. */
export type Capability = (typeof CAPABILITY_METHODS)[number];

/** Which capabilities a backend offers, found once when a cache is built. */
export type BackendCapabilities = { readonly [C in Capability]: boolean } & {
  /** Both lock methods (compareAndDelete and compareAndExpire). */
  readonly locks: boolean;
};

/**
 * Checks that `backend` has every core method, and lists its capabilities.
 *
 * @throws TypeError naming the missing core methods (and what to use instead for a common mistake).
 */
export function capabilitiesOf(backend: unknown): BackendCapabilities {
  if (typeof backend === 'string') {
    throw new TypeError(
      `backend must be a Backend instance, not the name "${backend}": use new MemoryBackend() / new RedisBackend({ url }), or Cache.fromUrl()`,
    );
  }
  const candidate = backend as Record<string, unknown> | null;
  const missing = CORE_METHODS.filter((method) => typeof candidate?.[method] !== 'function');
  if (missing.length > 0) {
    throw new TypeError(
      `backend must implement the Backend interface; ${describeValue(backend)} lacks ${missing.join(', ')}`,
    );
  }
  const offered = Object.fromEntries(
    CAPABILITY_METHODS.map((method) => [method, typeof candidate![method] === 'function']),
  ) as Record<Capability, boolean>;
  return Object.freeze({ ...offered, locks: offered.compareAndDelete && offered.compareAndExpire });
}

/**
 * Refuses an operation whose backend lacks the capability it needs.
 *
 * @throws UnsupportedOperationError if `offered` is false.
 */
export function requireCapability(offered: boolean, backend: Backend, name: Capability, op: string): void {
  if (!offered) throw new UnsupportedOperationError(op, backend.name, name);
}
