import type { Cache } from '../cache.js';
import { systemClock, type Clock } from '../clock.js';
import { describeValue } from '../describe.js';
import { parseDuration, parseTtl, type Duration } from '../duration.js';
import { LockTimeoutError, isCacheFailure } from '../errors.js';
import type { Lock } from '../locks.js';
import { refuseUnknownOptions } from '../options-schema.js';
import { ReadThrough } from '../read-through.js';
import { tagWriter } from '../tags/tag-door.js';
import type { TagsTaken } from '../tags/tagged-operations.js';
import {
  asRouteEntry,
  replayOf,
  responseEntry,
  unstorableReason,
  variantKey,
  varyId,
  type CapturedResponse,
  type ReplayedResponse,
  type ResponseEntry,
  type RouteEntry,
  type VaryEntry,
} from './stored-response.js';

/** What the `x-cache` response header says. */
export type CacheStatus = 'HIT' | 'MISS' | 'STALE' | 'BYPASS';

/** The response header that tells how a cached route answered. */
export const CACHE_STATUS_HEADER = 'x-cache';

/** A request as a framework adapter describes it to {@link RouteCache}. */
export interface RouteRequest {
  /** The HTTP method, upper-case. */
  readonly method: string;
  /** What the entry is stored under before the route's namespace: the URL with its query, or the route's `key`. */
  readonly key: string;
  /** A request header's value (several joined with `, `), or `undefined`. */
  header(name: string): string | undefined;
  /**
   * The tags the response is stored with (invalidated by `cache.invalidateTags`): fixed, or asked
   * for once the handler has answered.
   */
  readonly tags?: RouteTags | undefined;
}

/** A route's tags: fixed, or made (once the handler has answered) by a function. */
export type RouteTags = readonly string[] | (() => readonly string[]);

/** What a framework adapter does with a request, as {@link RouteCache.handle} decides. */
export type RouteDecision =
  /** Answer with a stored response; the handler does not run. */
  | { readonly action: 'replay'; readonly status: 'HIT' | 'STALE'; readonly response: ReplayedResponse }
  /** Let the handler run and answer as it does, uncached (`x-cache: BYPASS`). */
  | { readonly action: 'pass'; readonly status: 'BYPASS' }
  /** The handler ran through `run` and its response may go out, with this `x-cache`. */
  | { readonly action: 'ran'; readonly status: 'MISS' | 'BYPASS' };

/** A route's caching options, shared by the Fastify plugin and the Express middleware. */
export interface RouteCacheOptions {
  /** How long a response is fresh; `0` / `null`: until it is deleted or evicted. */
  readonly ttl: Duration | null;
  /**
   * After `ttl`, keep the response this long more: while one request (one across processes with
   * `lock`) runs the handler to refresh it, the others get the stale response at once (`STALE`).
   */
  readonly staleTtl?: Duration;
  /**
   * On a miss, let only one request across processes run the handler (a lock on the key, Redis
   * `SET NX PX`); the others wait for its response. `lease` bounds how long one run holds the lock.
   * @default false; `true` means `{ lease: '30s' }`
   */
  readonly lock?:
    | boolean
    | {
        /** How long one run may hold the lock (and the others wait for it). */
        readonly lease: Duration;
      };
  /** Where freshness is read: inject one to test stale responses without waiting. @default the system clock */
  readonly clock?: Clock;
}

const ROUTE_OPTION_NAMES = ['ttl', 'staleTtl', 'lock', 'clock'] as const;
const DEFAULT_LEASE = '30s';

const PASS: RouteDecision = Object.freeze({ action: 'pass', status: 'BYPASS' });

/** A checked {@link RouteCacheOptions}. */
interface RoutePolicy {
  readonly ttlMs: number;
  readonly staleTtlMs: number;
  readonly leaseMs: number | undefined;
  readonly clock: Clock;
}

/**
 * Checks route caching options, with `extra` the names an adapter adds (`key`, `cache`, …),
 * which it checks itself.
 *
 * @throws TypeError or RangeError naming the option at fault.
 */
export function checkRouteOptions(options: unknown, owner: string, extra: readonly string[]): RoutePolicy {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${owner} options must be an object; got ${describeValue(options)}`);
  refuseUnknownOptions(options, [...ROUTE_OPTION_NAMES, ...extra], owner);
  const { ttl, staleTtl, lock, clock } = options as RouteCacheOptions;
  if (ttl === undefined) throw new TypeError(`${owner} needs a ttl (0 or null: never expires)`);
  const ttlMs = parseTtl(ttl);
  const staleTtlMs = staleTtl === undefined ? 0 : parseDuration(staleTtl, 'staleTtl');
  if (staleTtlMs > 0 && ttlMs === 0)
    throw new TypeError(`${owner}: staleTtl needs a ttl: a response is stale once its ttl has passed`);
  let leaseMs: number | undefined;
  if (lock === true) leaseMs = parseDuration(DEFAULT_LEASE, 'lock.lease');
  else if (typeof lock === 'object' && lock !== null) leaseMs = parseDuration(lock.lease, 'lock.lease');
  else if (lock !== undefined && lock !== false)
    throw new TypeError(`lock must be a boolean or { lease }; got ${describeValue(lock)}`);
  if (leaseMs === 0) throw new RangeError('lock.lease must be above 0');
  if (clock !== undefined && typeof clock?.now !== 'function')
    throw new TypeError(`clock must have a now() method; got ${describeValue(clock)}`);
  return { ttlMs, staleTtlMs, leaseMs, clock: clock ?? systemClock };
}

/**
 * One request's turn at running the handler: `run` is called at most once, and what it ran is
 * remembered, so a request that ran the handler never runs it again or replays another's answer.
 */
class Turn {
  readonly #run: () => Promise<CapturedResponse>;
  #captured: Promise<CapturedResponse> | undefined;
  status: 'MISS' | 'BYPASS' = 'BYPASS';

  constructor(run: () => Promise<CapturedResponse>) {
    this.#run = run;
  }

  get ran(): boolean {
    return this.#captured !== undefined;
  }

  start(): Promise<CapturedResponse> {
    return (this.#captured ??= this.#run());
  }
}

/**
 * Route caching without a framework: which requests and responses are cached, under which key,
 * and what `x-cache` says. A framework adapter (`larder/fastify`, `larder/express`) describes the
 * request and hands over a `run` that lets the handler answer and resolves with what it sent.
 *
 * Only GET and HEAD are cached, both under one key (the URL with its query, or the route's `key`).
 * Concurrent requests for a cold key run the handler once in this process, and once across
 * processes with `lock` (the read-through engine of `cached()`). A response with `Vary` is stored
 * per value of the request headers it names. A HEAD is answered from the cache but never fills it,
 * since a handler may leave a HEAD's body out. A failing cache is logged and passed by (`BYPASS`):
 * it never fails the request.
 */
export class RouteCache {
  readonly #policy: RoutePolicy;
  readonly #engine: ReadThrough<RouteEntry | undefined>;
  // Keys being refreshed by a request of this process (staleTtl).
  readonly #refreshing = new Set<string>();

  constructor(name: string, policy: RoutePolicy) {
    this.#policy = policy;
    this.#engine = new ReadThrough<RouteEntry | undefined>({
      name,
      ttlMs: undefined,
      staleTtlMs: 0,
      staleIfErrorMs: 0,
      leaseMs: policy.leaseMs,
      // The handler's run stores the response itself (see #store), under the lock if there is one,
      // so that it knows whether the write succeeded: the engine stores nothing.
      skipCache: () => true,
      failOpen: false,
      clock: policy.clock,
    });
  }

  /**
   * Decides how to answer `request` from `cache`. `run` lets the handler answer and resolves with
   * the response it produced (or rejects if it produced none); it is called at most once, and
   * when it was, the decision is `ran` and comes once the response has been stored.
   */
  async handle(
    cache: Cache,
    request: RouteRequest,
    run: () => Promise<CapturedResponse>,
  ): Promise<RouteDecision> {
    const { method } = request;
    // A range request asks for part of the resource, which is not what the key names.
    if ((method !== 'GET' && method !== 'HEAD') || request.header('range') !== undefined) return PASS;
    const turn = new Turn(run);
    const base = request.key;
    try {
      let key = base;
      let marker: VaryEntry | undefined;
      let entry = await this.#read(cache, base, base, request, turn, undefined);
      if (entry?.kind === 'vary' && !turn.ran) {
        marker = entry;
        key = variantKey(base, marker, (name) => request.header(name));
        entry = await this.#read(cache, base, key, request, turn, marker);
      }
      if (turn.ran) return { action: 'ran', status: turn.status };
      // A response another request ran but could not share (a Set-Cookie, a 500, …): run our own.
      if (entry?.kind !== 'response') return PASS;
      if (this.#isFresh(entry)) return { action: 'replay', status: 'HIT', response: replayOf(entry) };
      return await this.#refresh(cache, base, key, entry, marker, request, turn);
    } catch (error) {
      // The cache failing is expected now and then (a warning); anything else is a mistake to see.
      const log = isCacheFailure(error) ? cache.logger.warn : cache.logger.error;
      log.call(
        cache.logger,
        { key: base, err: error },
        turn.ran ? 'route cache failed; the response goes out uncached' : 'route cache failed; bypassing it',
      );
      return turn.ran ? { action: 'ran', status: 'BYPASS' } : PASS;
    }
  }

  #isFresh(entry: ResponseEntry | VaryEntry): boolean {
    return entry.freshUntil === 0 || this.#policy.clock.now() < entry.freshUntil;
  }

  // The entry at `key`, read (and on a miss computed once for every request sharing it) through
  // the engine. `marker` is the base key's vary entry when `key` is one of its variants.
  #read(
    cache: Cache,
    base: string,
    key: string,
    request: RouteRequest,
    turn: Turn,
    marker: VaryEntry | undefined,
  ): Promise<RouteEntry | undefined> {
    if (request.method === 'HEAD') {
      // HEADs share their runs only with HEADs (a GET must never be answered with a HEAD's empty
      // body), and never store: a MISS that leaves the cache as it was.
      return this.#engine
        .call(
          cache,
          key,
          `${key}\0HEAD`,
          async () => {
            await turn.start();
            turn.status = 'MISS';
            return undefined;
          },
          undefined,
        )
        .then(asEntry);
    }
    return this.#engine
      .call(
        cache,
        key,
        key,
        async () => {
          // Tags are taken before the handler runs, so an invalidation while it runs leaves its
          // response unserved (see docs/tags.md).
          const taken = await takeTags(cache, key, request.tags);
          const captured = await turn.start();
          return this.#store(cache, base, key, captured, request, turn, marker, taken);
        },
        undefined,
      )
      .then(asEntry);
  }

  // Stores what the handler answered, and says in `turn.status` whether it was. What it returns is
  // handed to every request that waited for this run: undefined (nothing they may replay) unless
  // it was stored.
  async #store(
    cache: Cache,
    base: string,
    key: string,
    captured: CapturedResponse,
    request: RouteRequest,
    turn: Turn,
    marker: VaryEntry | undefined,
    taken: TagsTaken | undefined,
  ): Promise<RouteEntry | undefined> {
    turn.status = 'BYPASS';
    if (unstorableReason(captured.status, captured.headers) !== undefined) return undefined;
    const { ttlMs, staleTtlMs, clock } = this.#policy;
    const freshUntil = ttlMs === 0 ? 0 : clock.now() + ttlMs;
    const ttl = ttlMs === 0 ? 0 : ttlMs + staleTtlMs;
    const entry = responseEntry(captured, freshUntil, cache.serializer);
    const same = (a: readonly string[], b: readonly string[]) => a.join(',') === b.join(',');
    const tags = typeof request.tags === 'function' ? request.tags() : undefined;
    const write = (at: string, value: RouteEntry): Promise<boolean> =>
      taken === undefined
        ? cache.set(at, value, { ttl })
        : cache[tagWriter]().store(at, value, { ttl }, taken, tags);

    if (entry.vary.length === 0) {
      // A resource that stopped varying is stored again once the base key's vary entry expires.
      if (marker !== undefined) return undefined;
      if (!(await write(key, entry))) return undefined;
    } else if (marker !== undefined) {
      // A variant whose Vary is no longer the one this key was stored with: not stored.
      if (!same(marker.vary, entry.vary)) return undefined;
      if (!(await write(key, entry))) return undefined;
      // A refresh keeps the base key's vary entry alive with its variants.
      if (!this.#isFresh(marker)) await write(base, { ...marker, freshUntil });
    } else {
      // The variant first, then the base key's vary entry: a request that waited for this run
      // then finds its own variant (this one) stored.
      const vary: VaryEntry = { larder: 1, kind: 'vary', id: varyId(), vary: entry.vary, freshUntil };
      const variant = variantKey(base, vary, (name) => request.header(name));
      if (!(await write(variant, entry))) return undefined;
      if (!(await write(base, vary))) return undefined;
      turn.status = 'MISS';
      return vary;
    }
    turn.status = 'MISS';
    return entry;
  }

  // A stale response: one request (of this process; of all, with a lock) runs the handler to
  // refresh it, the others meanwhile replay the stale one. A HEAD never refreshes (see #read).
  async #refresh(
    cache: Cache,
    base: string,
    key: string,
    stale: ResponseEntry,
    marker: VaryEntry | undefined,
    request: RouteRequest,
    turn: Turn,
  ): Promise<RouteDecision> {
    const replay: RouteDecision = { action: 'replay', status: 'STALE', response: replayOf(stale) };
    if (this.#policy.clock.now() >= stale.freshUntil + this.#policy.staleTtlMs) {
      // Older than staleTtl allows (the clock runs ahead of the backend's expiry): not served.
      if (request.method === 'HEAD') return PASS;
      const taken = await takeTags(cache, key, request.tags);
      await this.#store(cache, base, key, await turn.start(), request, turn, marker, taken);
      return { action: 'ran', status: turn.status };
    }
    if (request.method === 'HEAD' || this.#refreshing.has(key)) return replay;
    this.#refreshing.add(key);
    let lock: Lock | undefined;
    try {
      if (this.#policy.leaseMs !== undefined) {
        try {
          lock = await cache.lock(key, { lease: this.#policy.leaseMs });
        } catch (error) {
          // Another process refreshes it, or the lock is out of reach: the stale response will do.
          if (error instanceof LockTimeoutError || isCacheFailure(error)) return replay;
          throw error;
        }
      }
      const taken = await takeTags(cache, key, request.tags);
      const captured = await turn.start();
      await this.#store(cache, base, key, captured, request, turn, marker, taken);
      return { action: 'ran', status: turn.status };
    } finally {
      this.#refreshing.delete(key);
      if (lock !== undefined)
        await lock
          .release()
          .catch((err: unknown) => cache.logger.warn({ key, err }, 'route cache lock release failed'));
    }
  }
}

// What a tagged response is stored with, taken before its handler runs: the tokens of fixed tags,
// or for tags made from the response, the namespace's marker (see docs/tags.md).
function takeTags(cache: Cache, key: string, tags: RouteTags | undefined): Promise<TagsTaken | undefined> {
  if (tags === undefined || (typeof tags !== 'function' && tags.length === 0))
    return Promise.resolve(undefined);
  return cache[tagWriter]().begin(typeof tags === 'function' ? undefined : tags, key);
}

/**
 * Checks a route's `tags` option: a list of non-empty strings, or a function.
 *
 * @throws TypeError naming the option.
 */
export function checkRouteTags(tags: unknown, owner: string): void {
  if (tags === undefined || typeof tags === 'function') return;
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === ''))
    throw new TypeError(
      `${owner}: tags must be an array of non-empty strings or a function; got ${describeValue(tags)}`,
    );
}

function asEntry(stored: unknown): RouteEntry | undefined {
  return stored === undefined ? undefined : asRouteEntry(stored);
}
