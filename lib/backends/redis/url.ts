import type { ClusterOptions, RedisOptions } from 'ioredis';
import { isIP } from 'node:net';
import { describeValue } from '../../describe.js';
import { parseDuration } from '../../duration.js';
import { ConfigError } from '../../errors.js';
import { redact } from '../../redact.js';

/** How to reach Redis, as read from a URL. */
export type RedisConnection =
  | { readonly kind: 'single'; readonly options: RedisOptions }
  | { readonly kind: 'sentinel'; readonly options: RedisOptions }
  | {
      readonly kind: 'cluster';
      readonly nodes: readonly { host: string; port: number }[];
      readonly options: ClusterOptions;
    };

/** A parsed Redis URL: the connection, plus the larder-level backend options it carried. */
export interface ParsedRedisUrl {
  readonly connection: RedisConnection;
  readonly autoPipelining?: boolean;
  readonly scanCount?: number;
}

/** The URL schemes {@link parseRedisUrl} reads. */
export const REDIS_SCHEMES = Object.freeze([
  'redis',
  'rediss',
  'redis+unix',
  'redis+sentinel',
  'redis+cluster',
]);

/** Query parameters every Redis URL accepts, beyond the cache-level ones. */
export const REDIS_URL_PARAMS = Object.freeze([
  'db',
  'username',
  'password',
  'connectTimeout',
  'autoPipelining',
  'scanCount',
  'sentinelUsername',
  'sentinelPassword',
  'tlsRejectUnauthorized',
]);

const URL_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?(?:#.*)?$/i;

/**
 * Reads a Redis URL:
 * `redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS), `redis+unix:///path/redis.sock`,
 * `redis+sentinel://h1:26379,h2:26379/mymaster[/db]` and `redis+cluster://h1:7000,h2:7001`, each with
 * the query parameters in {@link REDIS_URL_PARAMS}.
 *
 * @throws ConfigError naming the part of the URL at fault.
 */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  if (typeof url !== 'string')
    throw new ConfigError(`a Redis URL must be a string; got ${describeValue(url)}`, { path: 'url' });
  const match = URL_SHAPE.exec(url.trim());
  if (match === null) throw new ConfigError(`"${redact(url)}" is not a URL`, { path: 'url' });
  const [, rawScheme, userinfo, hosts = '', path = '', query = ''] = match;
  const scheme = rawScheme!.toLowerCase();
  if (!REDIS_SCHEMES.includes(scheme)) {
    throw new ConfigError(
      `unknown Redis URL scheme "${scheme}:"; known: ${REDIS_SCHEMES.map((s) => `${s}:`).join(', ')}`,
      {
        path: 'url',
      },
    );
  }
  const params = new URLSearchParams(query);
  for (const name of params.keys()) {
    if (!REDIS_URL_PARAMS.includes(name)) {
      throw new ConfigError(`unknown Redis URL parameter "${name}"; known: ${REDIS_URL_PARAMS.join(', ')}`, {
        path: `url.${name}`,
      });
    }
  }

  const common: RedisOptions = {};
  const { username, password } = credentials(userinfo, params);
  if (username !== undefined) common.username = username;
  if (password !== undefined) common.password = password;
  const connectTimeout = durationParam(params, 'connectTimeout');
  if (connectTimeout !== undefined) common.connectTimeout = connectTimeout;

  const parsed = {
    autoPipelining: booleanParam(params, 'autoPipelining'),
    scanCount: integerParam(params, 'scanCount', 1),
  };
  const segments = path.split('/').filter((segment) => segment !== '');

  switch (scheme) {
    case 'redis':
    case 'rediss': {
      const [node] = hostList(hosts, 6379, false);
      const options: RedisOptions = {
        ...common,
        host: node!.host,
        port: node!.port,
        db: dbOf(segments[0], params),
      };
      if (segments.length > 1)
        throw new ConfigError(`a redis: URL path holds only the db number; got "${path}"`, {
          path: 'url.db',
        });
      if (scheme === 'rediss') options.tls = tlsOptions(node!.host, params);
      return { ...parsed, connection: { kind: 'single', options } };
    }
    case 'redis+unix': {
      if (hosts !== '')
        throw new ConfigError('a redis+unix: URL has no host: write redis+unix:///path/to/redis.sock', {
          path: 'url',
        });
      if (path === '') throw new ConfigError('a redis+unix: URL needs the socket path', { path: 'url' });
      return {
        ...parsed,
        connection: {
          kind: 'single',
          options: { ...common, path: decodeURIComponent(path), db: dbOf(undefined, params) },
        },
      };
    }
    case 'redis+sentinel': {
      const [name, db] = segments;
      if (name === undefined) {
        throw new ConfigError(
          'a redis+sentinel: URL needs the master name: redis+sentinel://h1:26379,h2:26379/mymaster',
          {
            path: 'url',
          },
        );
      }
      const options: RedisOptions = {
        ...common,
        sentinels: hostList(hosts, 26379, true),
        name: decodeURIComponent(name),
        db: dbOf(db, params),
      };
      const sentinelUsername = params.get('sentinelUsername');
      const sentinelPassword = params.get('sentinelPassword');
      if (sentinelUsername !== null) options.sentinelUsername = sentinelUsername;
      if (sentinelPassword !== null) options.sentinelPassword = sentinelPassword;
      return { ...parsed, connection: { kind: 'sentinel', options } };
    }
    default: {
      if (segments.length > 0 || params.has('db')) {
        throw new ConfigError('Redis Cluster has only database 0: a redis+cluster: URL takes no db', {
          path: 'url.db',
        });
      }
      return {
        ...parsed,
        connection: {
          kind: 'cluster',
          nodes: hostList(hosts, 6379, true),
          options: { redisOptions: common },
        },
      };
    }
  }
}

function credentials(
  userinfo: string | undefined,
  params: URLSearchParams,
): { username?: string; password?: string } {
  const result: { username?: string; password?: string } = {};
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    const user = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
    if (colon === -1) {
      // `redis://secret@host` is the classic password-only form.
      result.password = user;
    } else {
      if (user !== '') result.username = user;
      result.password = decodeURIComponent(userinfo.slice(colon + 1));
    }
  }
  const username = params.get('username');
  const password = params.get('password');
  if (username !== null) result.username = username;
  if (password !== null) result.password = password;
  return result;
}

function hostList(hosts: string, defaultPort: number, many: boolean): { host: string; port: number }[] {
  const parts = hosts === '' ? [''] : hosts.split(',');
  if (!many && parts.length > 1)
    throw new ConfigError(`this URL takes one host; got "${hosts}"`, { path: 'url.host' });
  return parts.map((part) => {
    const match = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(part.trim());
    if (match === null) throw new ConfigError(`"${part}" is not a host[:port]`, { path: 'url.host' });
    const host = match[1]!.replace(/^\[|\]$/g, '') || 'localhost';
    const port = match[2] === undefined ? defaultPort : Number(match[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new ConfigError(`port must be between 1 and 65535; got "${match[2]}"`, { path: 'url.port' });
    }
    return { host, port };
  });
}

function dbOf(segment: string | undefined, params: URLSearchParams): number {
  const text = params.get('db') ?? segment ?? '0';
  if (!/^\d+$/.test(text))
    throw new ConfigError(`db must be a non-negative integer; got "${text}"`, { path: 'url.db' });
  return Number(text);
}

function tlsOptions(host: string, params: URLSearchParams): NonNullable<RedisOptions['tls']> {
  const rejectUnauthorized = booleanParam(params, 'tlsRejectUnauthorized');
  // SNI carries host names only (RFC 6066); an IP address is verified against the certificate's IP SANs.
  return {
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
  };
}

function booleanParam(params: URLSearchParams, name: string): boolean | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(`${name} must be true or false; got "${text}"`, { path: `url.${name}` });
}

// A bad duration is the URL's mistake, so a ConfigError at the parameter (parseDuration's own
// RangeError carried no path, and escaped config validation as a bare RangeError).
function durationParam(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  try {
    return parseDuration(text, name);
  } catch (cause) {
    throw new ConfigError((cause as Error).message, { path: `url.${name}`, cause });
  }
}

function integerParam(params: URLSearchParams, name: string, min: number): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min) {
    throw new ConfigError(`${name} must be an integer of at least ${min}; got "${text}"`, {
      path: `url.${name}`,
    });
  }
  return value;
}
