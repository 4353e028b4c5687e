// A redis-server of a suite's own (so that tests may kill, pause or flush it), a writer connected
// straight to it, and, when asked, a TCP proxy made fresh for each test, to put faults between
// the cache under test and the server. Caches pushed on `open` are closed after each test.
import { Redis } from 'ioredis';
import { Cache, RedisBackend, type Logger } from '../../lib/index.js';
import { eventually } from './eventually.js';
import { RedisServer } from './redis-server.js';
import { TcpProxy } from './tcp-proxy.js';

export interface OwnRedis {
  readonly server: RedisServer;
  /** A client straight to the server: the writer "elsewhere", and the test's own eyes. */
  readonly admin: Redis;
  /** A proxy to the server, new for each test (with `proxied` only). */
  readonly proxy: TcpProxy;
  /** Caches to close after the test that made them. */
  readonly open: Cache[];
}

/** Registers the mocha hooks (call it inside `describe`) and answers the parts they make. */
export function ownRedis(options: { readonly proxied?: boolean } = {}): OwnRedis {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  let proxy: TcpProxy | undefined;
  const open: Cache[] = [];
  before(async () => {
    server = await RedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  if (options.proxied === true) {
    beforeEach(async () => {
      proxy = await TcpProxy.start(server!.port);
    });
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()));
    await proxy?.close();
    proxy = undefined;
  });
  after(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  const made = <T>(part: T | undefined, name: string): T => {
    if (part === undefined) throw new Error(`ownRedis: no ${name} yet (used outside a test?)`);
    return part;
  };
  return {
    get server() {
      return made(server, 'server');
    },
    get admin() {
      return made(admin, 'admin');
    },
    get proxy() {
      return made(proxy, 'proxy (ownRedis({ proxied: true }) makes one per test)');
    },
    open,
  };
}

/**
 * A cache with an L1 over `url` (bus invalidation), pushed on `open` and returned once its
 * subscriber is live, so that no write made after it can go unheard.
 */
export async function liveL1Cache(
  url: string,
  namespace: string,
  logger: Logger,
  open: Cache[],
): Promise<Cache<string>> {
  const cache = new Cache<string>({
    backend: new RedisBackend({ url, logger }),
    namespace,
    l1: true,
    logger,
  });
  open.push(cache as Cache);
  await eventually('live', () => cache.coherence === 'live', 20_000);
  return cache;
}
