import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Cache } from '../cache.js';
import { describeValue } from '../describe.js';
import { resolveCache } from '../registry.js';
import { deferred, requestHeader, routeKey } from './request.js';
import {
  CACHE_STATUS_HEADER,
  RouteCache,
  checkRouteOptions,
  checkRouteTags,
  type CacheStatus,
  type RouteCacheOptions,
  type RouteDecision,
} from './route-cache.js';
import { unstorableReason, type CapturedResponse } from './stored-response.js';

/** Options of {@link cacheRoute}. */
export interface ExpressRouteCacheOptions extends RouteCacheOptions {
  /**
   * The cache, or the alias of one in the `caches` registry (resolved at each request).
   * @default 'default'
   */
  readonly cache?: Cache | string;
  /**
   * What the response is stored under, from the request. A route whose answer depends on who asks
   * (a user, a tenant, the host) must put that here or in the response's `Vary`.
   * @default the URL with its query (`req.originalUrl`)
   */
  readonly key?: (req: Request) => string;
  /**
   * Tags the response is stored with: after `cache.invalidateTags([tag])` (see docs/tags.md) it is
   * a miss, in every process. A list, or a function asked once the handler has answered.
   */
  readonly tags?: readonly string[] | ((req: Request, res: Response) => readonly string[]);
}

/**
 * Express middleware that caches the GET and HEAD responses of the handlers after it, by the
 * rules of the Fastify plugin: 2xx (not 206), no `Set-Cookie`, no `Cache-Control: private` /
 * `no-store`, per `Vary`; concurrent cold requests run the handler once (once across processes
 * with `lock`); `x-cache: HIT | MISS | STALE | BYPASS`; a failing cache is logged and passed by.
 *
 * It captures what the handler sends through `res.writeHead`, `res.write` and `res.end`, so it
 * works with `res.send`, `res.json`, piped streams and plain Node writes. A streamed response
 * reaches the client as it is written; its end waits until it is stored.
 *
 * @throws TypeError or RangeError at once for bad options.
 * @example
 * ```ts
 * import express from 'express';
 * import { cacheRoute } from 'larder/express';
 *
 * const app = express();
 * app.get('/products/:id', cacheRoute({ ttl: '30s' }), async (req, res) => {
 *   res.json(await loadProduct(req.params.id));
 * });
 * ```
 */
export function cacheRoute(options: ExpressRouteCacheOptions): RequestHandler {
  const policy = checkRouteOptions(options, 'cacheRoute()', ['cache', 'key', 'tags']);
  const { cache: option, key } = options;
  if (option !== undefined && typeof option !== 'string' && typeof (option as Cache)?.get !== 'function')
    throw new TypeError(`cache must be a Cache or an alias; got ${describeValue(option)}`);
  if (key !== undefined && typeof key !== 'function')
    throw new TypeError(`key must be a function of the request; got ${describeValue(key)}`);
  checkRouteTags(options.tags, 'cacheRoute()');
  const { tags } = options;
  const routeCache = new RouteCache('cacheRoute', policy);

  return function larderCacheRoute(req, res, next) {
    let cache: Cache;
    let stored: string;
    try {
      cache = resolveCache(option);
      stored = routeKey(key === undefined ? req.originalUrl : key(req), key);
    } catch (error) {
      next(error);
      return;
    }
    let capture: ResponseCapture | undefined;
    const request = {
      method: req.method,
      key: stored,
      header: (name: string) => requestHeader(req.headers[name]),
      tags: typeof tags === 'function' ? () => tags(req, res) : tags,
    };
    routeCache
      .handle(cache, request, () => {
        capture = new ResponseCapture(res, req.method === 'HEAD');
        next();
        return capture.response;
      })
      .then((decision: RouteDecision) => {
        if (decision.action === 'ran') capture!.finish(decision.status);
        else if (decision.action === 'pass') {
          res.setHeader(CACHE_STATUS_HEADER, decision.status);
          next();
        } else replay(res, decision);
      }, next);
  };
}

function replay(res: Response, decision: Extract<RouteDecision, { action: 'replay' }>): void {
  const { status, headers, body } = decision.response;
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader(CACHE_STATUS_HEADER, decision.status);
  res.setHeader('content-length', body.byteLength);
  res.end(body);
}

/**
 * Records what a handler sends on a response while letting it through: the status and headers as
 * they are sent, every chunk written. The end is held until {@link finish}, so the response is
 * complete only once it is stored, and `x-cache` tells how it went when the headers are still
 * unsent. Headers sent before the end (a stream) say `MISS` if the response may be stored.
 */
class ResponseCapture {
  readonly #res: ServerResponse;
  readonly #head: boolean;
  readonly #result = deferred<CapturedResponse>();
  readonly #chunks: Buffer[] = [];
  readonly #originals: Pick<ServerResponse, 'writeHead' | 'write' | 'end'>;
  #sent: { status: number; headers: CapturedResponse['headers'] } | undefined;
  #end: (() => void) | undefined;

  constructor(res: ServerResponse, head: boolean) {
    this.#res = res;
    this.#head = head;
    const originals = { writeHead: res.writeHead, write: res.write, end: res.end };
    this.#originals = originals;
    // Installed on this response only; `res` is what `this` would be.
    const writeHead = originals.writeHead as (...args: unknown[]) => ServerResponse;
    const write = originals.write as (...args: unknown[]) => boolean;
    const end = originals.end as (...args: unknown[]) => unknown;
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      const reason = typeof rest[0] === 'string' ? (rest.shift() as string) : undefined;
      if (!res.headersSent) this.#headersSent(status, rest[0] as OutgoingHttpHeaders | OutgoingHttpHeader[]);
      return reason === undefined ? writeHead.call(res, status) : writeHead.call(res, status, reason);
    }) as ServerResponse['writeHead'];
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      this.#record(chunk, rest[0]);
      return write.call(res, chunk, ...rest);
    }) as ServerResponse['write'];
    res.end = ((...args: unknown[]) => {
      if (args.length > 0 && typeof args[0] !== 'function') this.#record(args[0], args[1]);
      this.#sent ??= { status: res.statusCode, headers: res.getHeaders() };
      this.#end = () => end.apply(res, args);
      this.#result.resolve({ ...this.#sent, body: Buffer.concat(this.#chunks) });
      return res;
    }) as ServerResponse['end'];
    // A response closed before its end (the client went away) has nothing to store, and the
    // requests waiting for it must not wait for ever.
    res.once('close', () => this.#result.reject(new Error('the handler sent no response')));
  }

  /** The response the handler sent, once it ends. */
  get response(): Promise<CapturedResponse> {
    return this.#result.promise;
  }

  /** Lets the held end through, with `status` as `x-cache` if the headers are still unsent. */
  finish(status: CacheStatus): void {
    Object.assign(this.#res, this.#originals);
    if (!this.#res.headersSent) this.#res.setHeader(CACHE_STATUS_HEADER, status);
    this.#end?.();
  }

  // The headers go out now: what writeHead was given joins what was set, and x-cache is said.
  #headersSent(status: number, given: OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined): void {
    const res = this.#res;
    if (Array.isArray(given)) {
      const pairs = Array.isArray(given[0])
        ? (given as unknown as [string, OutgoingHttpHeader][])
        : flatPairs(given);
      for (const [name, value] of pairs) res.appendHeader(name, value as string | readonly string[]);
    } else if (given !== undefined) {
      for (const [name, value] of Object.entries(given)) if (value !== undefined) res.setHeader(name, value);
    }
    res.statusCode = status;
    const headers = res.getHeaders();
    this.#sent = { status, headers };
    if (!res.hasHeader(CACHE_STATUS_HEADER)) {
      const storable = this.#head || unstorableReason(status, headers) === undefined;
      res.setHeader(CACHE_STATUS_HEADER, storable ? 'MISS' : 'BYPASS');
    }
  }

  #record(chunk: unknown, encoding: unknown): void {
    if (typeof chunk === 'string')
      this.#chunks.push(
        Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
      );
    else if (chunk instanceof Uint8Array) this.#chunks.push(Buffer.from(chunk));
  }
}

function flatPairs(flat: readonly OutgoingHttpHeader[]): [string, OutgoingHttpHeader][] {
  const pairs: [string, OutgoingHttpHeader][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), flat[i + 1]!]);
  return pairs;
}

export { CACHE_STATUS_HEADER, type CacheStatus, type RouteCacheOptions } from './route-cache.js';
