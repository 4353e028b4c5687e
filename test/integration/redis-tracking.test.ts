import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import { TrackingRefusedError, trackingSource } from '../../lib/backends/redis/tracking.js';
import { InvalidationRefusedError, type InvalidationSource } from '../../lib/tiers/invalidation.js';
import { RecordingSink } from '../support/recording-sink.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const run = promisify(execFile);

// Whether the sink, told of a gap, was told that tracking is up again after it (a loaded machine
// may see more than one gap; what matters is the last word).
const upAgain = (sink: RecordingSink): boolean => sink.kinds.includes('down') && sink.kinds.at(-1) === 'up';

// Redis server-assisted client-side caching against real servers of this file's own (it restarts
// one, changes ACLs and flushes): every change Redis sees under a prefix reaches the sink.
describe('Redis tracking (invalidation: tracking)', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let writer: Redis;
  const opened: { close(): unknown }[] = [];

  const clientOf = (options: RedisOptions = {}): Redis => {
    const client = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, ...options });
    opened.push({ close: () => client.disconnect() });
    return client;
  };
  const track = (
    client: Redis,
    prefixes: readonly string[],
    healthCheckMs = 2_000,
  ): { source: InvalidationSource; sink: RecordingSink; started: Promise<void> } => {
    const source = trackingSource({
      client,
      prefixes,
      channel: '',
      healthCheckMs,
      logger: recordingLogger().logger,
    });
    opened.push(source);
    const sink = new RecordingSink();
    return { source, sink, started: source.start(sink) };
  };
  // The server's tracking connections (flag t) of the test run.
  const trackingConnections = async (admin: Redis): Promise<number> =>
    ((await admin.client('LIST')) as string).split('\n').filter((line) => /\bflags=\S*t/.test(line)).length;
  const untilConnections = async (admin: Redis, count: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while ((await trackingConnections(admin)) !== count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} tracking connections: ${await admin.client('LIST')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  before(async () => {
    server = await RedisServer.start();
    writer = new Redis({ host: '127.0.0.1', port: server.port });
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((item) => item.close()));
  });
  after(async () => {
    writer.disconnect();
    await server.stop();
  });

  it('hears writes by another client under its prefix, and only those', async () => {
    const { sink, started } = track(clientOf(), ['app:']);
    await started;
    expect(sink.kinds).to.deep.equal(['up']);
    await writer.set('app:1', 'v');
    await writer.set('other:1', 'v');
    await writer.mset('app:2', 'v', 'apple:1', 'v');
    await writer.del('app:1');
    await sink.until((s) => s.expired.filter((key) => key === 'app:1').length === 2, 'the delete of app:1');
    // One server sends its invalidations in order: what was not heard by now never will be.
    expect(sink.expired).to.deep.equal(['app:1', 'app:2', 'app:1']);
    expect(sink.kinds).to.not.include('remove');
  });

  it('hears redis-cli, a Lua script, and the server expiring a key', async () => {
    const { sink, started } = track(clientOf(), ['cli:']);
    await started;
    await run('redis-cli', ['-p', String(server.port), 'SET', 'cli:1', 'from redis-cli']);
    await sink.until((s) => s.expired.includes('cli:1'), 'the redis-cli write');
    await run('redis-cli', [
      '-p',
      String(server.port),
      'EVAL',
      "redis.call('SET', KEYS[1], 'lua')",
      '1',
      'cli:2',
    ]);
    await sink.until((s) => s.expired.includes('cli:2'), 'the Lua write');
    await writer.set('cli:3', 'short-lived', 'PX', 30);
    // Once for the write, once more when the server expires it (no client reads it).
    await sink.until((s) => s.expired.filter((key) => key === 'cli:3').length === 2, 'the expiry of cli:3');
  });

  it('expires everything on FLUSHDB', async () => {
    const { sink, started } = track(clientOf(), ['flush:']);
    await started;
    await writer.flushdb();
    await sink.until((s) => s.kinds.includes('expireAll'), 'the flush');
  });

  it('tracks every key for a cache with no namespace (the prefix "")', async () => {
    const { sink, started } = track(clientOf(), []);
    await started;
    await writer.set('anything', 'v');
    await sink.until((s) => s.expired.includes('anything'), 'a key of no namespace');
  });

  it('merges overlapping prefixes of caches on one client into one tracking connection', async () => {
    const admin = clientOf();
    const client = clientOf();
    const users = track(client, ['app:users:']);
    await users.started;
    // app: covers app:users: (Redis would answer ERR … overlaps to both): the connection is replaced.
    const app = track(client, ['app:']);
    await app.started;
    const shop = track(client, ['shop:', 'app:users:admins:']);
    await shop.started;
    await untilConnections(admin, 1);
    await writer.set('app:users:admins:1', 'v');
    await writer.set('app:orders:1', 'v');
    await writer.set('shop:1', 'v');
    await shop.sink.until((s) => s.expired.includes('shop:1'), 'shop:1');
    await app.sink.until((s) => s.expired.includes('app:orders:1'), 'app:orders:1');
    expect(users.sink.expired).to.deep.equal(['app:users:admins:1']);
    expect(app.sink.expired).to.deep.equal(['app:users:admins:1', 'app:orders:1']);
    expect(shop.sink.expired).to.deep.equal(['app:users:admins:1', 'shop:1']);
    // Replacing the connection was seamless for the first cache: no gap.
    expect(users.sink.kinds.filter((kind) => kind === 'down')).to.deep.equal([]);

    // The connection closes with the last cache.
    await Promise.all([users.source.close(), app.source.close(), shop.source.close()]);
    await untilConnections(admin, 0);
  });

  it('refuses where an ACL denies CLIENT TRACKING, with nothing left open', async () => {
    const admin = clientOf();
    await admin.call('ACL', 'SETUSER', 'no-tracking', 'on', '>pw', '~*', '&*', '+@all', '-client|tracking');
    await admin.call('ACL', 'SETUSER', 'no-client', 'on', '>pw', '~*', '&*', '+@all', '-client');
    // No channel: SUBSCRIBE __redis__:invalidate is what is refused.
    await admin.call('ACL', 'SETUSER', 'no-channel', 'on', '>pw', '~*', 'resetchannels', '+@all');
    for (const username of ['no-tracking', 'no-client', 'no-channel']) {
      const { sink, started } = track(clientOf({ username, password: 'pw' }), ['app:']);
      const error = await started.then(
        () => expect.fail(`${username}: started`),
        (error: unknown) => error,
      );
      expect(error, username).to.be.instanceOf(TrackingRefusedError).and.instanceOf(InvalidationRefusedError);
      expect(error).to.include({
        code: 'LARDER_INVALIDATION_REFUSED',
        kind: 'tracking',
        reason: 'permission',
      });
      expect(sink.kinds).to.deep.equal([]);
    }
    const deadline = Date.now() + 10_000;
    while (((await admin.client('LIST')) as string).includes('user=no-')) {
      if (Date.now() > deadline) expect.fail(`connections left open: ${await admin.client('LIST')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('reports a killed subscriber as a gap, and tracks again on the next connection', async () => {
    const admin = clientOf();
    const { sink, started } = track(clientOf(), ['kill:']);
    await started;
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await sink.until(upAgain, 'down, then up');
    await writer.set('kill:1', 'v');
    await sink.until((s) => s.expired.includes('kill:1'), 'a write after the gap');
  });

  it('finds a black-holed connection by its health check, and tracks again once healed', async () => {
    const proxy = await TcpProxy.start(server.port);
    opened.push(proxy);
    // The tracking connection goes the data client's way: through the proxy.
    const { sink, started } = track(clientOf({ port: proxy.port }), ['hole:'], 250);
    await started;
    proxy.blackhole();
    // Nothing closes: only an unanswered PING tells.
    await sink.until((s) => s.kinds.includes('down'), 'the health check to find the break');
    await writer.set('hole:lost', 'v');
    proxy.heal();
    await sink.until(upAgain, 'up again once healed');
    await writer.set('hole:1', 'v');
    await sink.until((s) => s.expired.includes('hole:1'), 'a write after the gap');
  });

  it('reports a restarted server as a gap, and sets tracking up again on it', async () => {
    const own = await RedisServer.start();
    try {
      const client = new Redis({ host: '127.0.0.1', port: own.port, lazyConnect: true });
      opened.push({ close: () => client.disconnect() });
      const { sink, started } = track(client, ['restart:']);
      await started;
      await own.restart();
      await sink.until(upAgain, 'down, then up');
      const after = new Redis({ host: '127.0.0.1', port: own.port });
      await after.set('restart:1', 'v');
      after.disconnect();
      await sink.until((s) => s.expired.includes('restart:1'), 'a write to the restarted server');
    } finally {
      await Promise.all(opened.splice(0).map((item) => item.close()));
      await own.stop();
    }
  });

  it('waits while the server is unreachable, and settles when closed', async () => {
    const own = await RedisServer.start();
    const port = own.port;
    await own.stop();
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
    opened.push({ close: () => client.disconnect() });
    const { source, sink, started } = track(client, ['gone:']);
    await sink.until((s) => s.kinds.includes('down'), 'down while unreachable');
    await source.close();
    await started;
    expect(sink.kinds).to.deep.equal(['down']);
  });
});
