import type { Readable } from 'node:stream';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  RouteOptions,
  onSendHookHandler,
  preHandlerAsyncHookHandler,
} from 'fastify';
import type { Cache } from '../cache.js';
import { describeValue } from '../describe.js';
import { refuseUnknownOptions } from '../options-schema.js';
import { resolveCache } from '../registry.js';
import {
  CACHE_STATUS_HEADER,
  RouteCache,
  checkRouteOptions,
  checkRouteTags,
  type RouteCacheOptions,
  type RouteDecision,
} from './route-cache.js';
import { deferred, requestHeader, routeKey, type Deferred } from './request.js';
import type { CapturedResponse } from './stored-response.js';

/** A route's `config.cache` (see {@link larderCache}). */
export interface FastifyRouteCacheOptions extends RouteCacheOptions {
  /**
   * What the response is stored under, from the request. A route whose answer depends on who asks
   * (a user, a tenant, the host) must put that here or in the response's `Vary`.
   * @default the URL with its query (`request.url`)
   */
  readonly key?: (request: FastifyRequest) => string;
  /**
   * Tags the response is stored with: after `cache.invalidateTags([tag])` (see docs/tags.md) it is
   * a miss, in every process. A list, or a function asked once the handler has answered.
   */
  readonly tags?: readonly string[] | ((request: FastifyRequest, reply: FastifyReply) => readonly string[]);
}

/** Options of {@link larderCache}. */
export interface LarderCacheOptions {
  /**
   * The cache, or the alias of one in the `caches` registry (resolved at each request, so the
   * config may be set after the plugin is registered).
   * @default 'default'
   */
  readonly cache?: Cache | string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The cache the larder plugin caches routes in. */
    readonly cache: Cache;
  }
  interface FastifyContextConfig {
    /** Cache this route's GET and HEAD responses (the larder plugin). */
    cache?: FastifyRouteCacheOptions;
  }
}

const ROUTE_EXTRA_OPTIONS = ['key', 'tags'] as const;
// Register options Fastify itself reads; the plugin takes them without complaint.
const FASTIFY_REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'];

/** What the route's hooks share for one request that runs its handler. */
interface RunningRequest {
  readonly capture: Deferred<CapturedResponse>;
  readonly decision: Promise<RouteDecision>;
}

const RUN: unique symbol = Symbol('run');

function plugin(fastify: FastifyInstance, options: LarderCacheOptions, done: (err?: Error) => void): void {
  try {
    refuseUnknownOptions(options, ['cache', ...FASTIFY_REGISTER_OPTIONS], 'larderCache');
    const option = options.cache;
    if (option !== undefined && typeof option !== 'string' && typeof (option as Cache)?.get !== 'function')
      throw new TypeError(`cache must be a Cache or an alias; got ${describeValue(option)}`);
    const cacheOf = (): Cache => resolveCache(option);
    fastify.decorate('cache', { getter: cacheOf });

    const routes = new WeakMap<FastifyRouteCacheOptions, RouteCache>();
    const running = new WeakMap<FastifyRequest, RunningRequest>();

    const preHandler: preHandlerAsyncHookHandler = async function (request, reply) {
      const options = request.routeOptions.config.cache!;
      const routeCache = routes.get(options)!;
      const cache = cacheOf();
      const { tags } = options;
      const key = routeKey(options.key === undefined ? request.url : options.key(request), options.key);
      let proceed!: (run: typeof RUN) => void;
      const proceeding = new Promise<typeof RUN>((resolve) => (proceed = resolve));
      let capture: Deferred<CapturedResponse> | undefined;
      const decision = routeCache.handle(
        cache,
        {
          method: request.method,
          key,
          header: (name) => requestHeader(request.headers[name]),
          tags: typeof tags === 'function' ? () => tags(request, reply) : tags,
        },
        () => {
          capture = deferred<CapturedResponse>();
          running.set(request, { capture, decision });
          // A request that ends without a response (aborted, hijacked) must not leave the
          // requests waiting for its run waiting for ever.
          const abandoned = capture;
          reply.raw.once('close', () => abandoned.reject(new Error('the handler sent no response')));
          proceed(RUN);
          return capture.promise;
        },
      );
      const first = await Promise.race([decision, proceeding]);
      if (first === RUN) return;
      if (first.action === 'pass') {
        reply.header(CACHE_STATUS_HEADER, first.status);
        return;
      }
      if (first.action === 'replay') {
        const { status, headers, body } = first.response;
        return reply
          .code(status)
          .headers(headers as Record<string, string | string[]>)
          .header(CACHE_STATUS_HEADER, first.status)
          .send(body);
      }
    };

    const onSend: onSendHookHandler = function (request, reply, payload, next) {
      const run = running.get(request);
      if (run === undefined) return next(null, payload);
      running.delete(request);
      bytesOf(payload).then(
        async (body) => {
          run.capture.resolve({ status: reply.statusCode, headers: reply.getHeaders(), body });
          const decision = await run.decision;
          if (decision.action === 'ran') reply.header(CACHE_STATUS_HEADER, decision.status);
          next(null, isStream(payload) ? body : payload);
        },
        (error: unknown) => {
          run.capture.reject(error);
          next(error as Error);
        },
      );
    };

    // A route declared before the plugin was loaded never got its hooks: say so (once per route)
    // rather than leave it silently uncached.
    const unhooked = new WeakSet<FastifyRouteCacheOptions>();
    fastify.addHook('preHandler', function (request, _reply, next) {
      const options = request.routeOptions.config.cache;
      if (options !== undefined && !routes.has(options) && !unhooked.has(options)) {
        unhooked.add(options);
        cacheOf().logger.error(
          { route: `${request.method} ${request.routeOptions.url}` },
          'config.cache of a route declared before the larder plugin was loaded is ignored; declare it after `await fastify.register(larderCache)`',
        );
      }
      next();
    });

    fastify.addHook('onRoute', (route: RouteOptions) => {
      const options = route.config?.cache;
      if (options === undefined) return;
      if (!routes.has(options)) routes.set(options, routeCacheFor(options, route));
      route.preHandler = [...hooksOf(route.preHandler), preHandler];
      route.onSend = [...hooksOf(route.onSend), onSend];
    });
    done();
  } catch (error) {
    done(error as Error);
  }
}

function routeCacheFor(options: FastifyRouteCacheOptions, route: RouteOptions): RouteCache {
  const name = `${String(route.method)} ${route.url}`;
  const owner = `config.cache of ${name}`;
  const policy = checkRouteOptions(options, owner, ROUTE_EXTRA_OPTIONS);
  if (options.key !== undefined && typeof options.key !== 'function')
    throw new TypeError(`${owner}: key must be a function of the request; got ${describeValue(options.key)}`);
  checkRouteTags(options.tags, owner);
  return new RouteCache(name, policy);
}

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

function isStream(payload: unknown): payload is Readable {
  return typeof (payload as Readable | null)?.pipe === 'function';
}

// The body Fastify is about to send, as bytes; a stream is read to its end (and then sent as the
// bytes read), since a cached body must be whole.
async function bytesOf(payload: unknown): Promise<Buffer> {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload);
  if (payload instanceof Uint8Array)
    return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (isStream(payload)) {
    const chunks: Buffer[] = [];
    for await (const chunk of payload as AsyncIterable<string | Uint8Array>)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  throw new TypeError(`larder cannot cache a reply payload of ${describeValue(payload)}`);
}

/**
 * The Fastify plugin that caches routes: register it, then give a route `config.cache`.
 *
 * GET and HEAD responses with a 2xx status (not 206), without `Set-Cookie` and without
 * `Cache-Control: private` / `no-store`, are stored under the URL with its query (or `key`), per
 * value of the request headers their `Vary` names. Concurrent requests for a cold key run the
 * handler once (once across processes with `lock`). Every cached route's response says
 * `x-cache: HIT | MISS | STALE | BYPASS`. A failing cache never fails a request: it is logged and
 * the handler answers (`BYPASS`), within the cache's `timeout`.
 *
 * The route's hooks run after the route's own `preHandler`s, so a route's own checks (auth) run
 * for hits too. Routes must be declared after the plugin is registered (`await
 * fastify.register(larderCache)`, or declare them in a plugin registered after it); the config
 * of a route declared before is ignored, with an error logged at its first request.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { larderCache } from 'larder/fastify';
 *
 * const app = Fastify();
 * await app.register(larderCache, { cache: 'default' });
 * app.get('/products/:id', { config: { cache: { ttl: '30s', staleTtl: '5m', tags: ['catalog'] } } }, load);
 * await app.cache.invalidateTags(['catalog']);
 * ```
 */
export const larderCache: FastifyPluginCallback<LarderCacheOptions> = Object.assign(plugin, {
  // What fastify-plugin sets, without depending on it: the hooks and the decoration reach the
  // scope the plugin is registered in rather than a scope of its own.
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'larder',
  [Symbol.for('plugin-meta')]: { name: 'larder', fastify: '5.x' },
});

export default larderCache;

export { CACHE_STATUS_HEADER, type CacheStatus, type RouteCacheOptions } from './route-cache.js';
