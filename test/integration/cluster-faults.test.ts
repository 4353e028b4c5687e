import { expect } from 'chai';
import { Redis } from 'ioredis';
import {
  BackendError,
  Cache,
  CacheTimeoutError,
  OutcomeUnknownError,
  RedisBackend,
} from '../../lib/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { RedisCluster } from '../support/redis-server.js';

// A Cluster of its own, one of whose masters is killed while increments are in flight to every
// master: no call hangs, every failure is one the caller can act on, and no increment is applied
// twice (a Cluster would otherwise resend a command whose node connection closed).
describe('a Redis Cluster losing a master under writes', function () {
  this.timeout(60_000);
  let cluster: RedisCluster;
  let cache: Cache<number>;

  before(async () => {
    cluster = await RedisCluster.start(3);
    const logger = recordingLogger().logger;
    cache = new Cache({
      backend: new RedisBackend({ url: cluster.url, logger }),
      namespace: 'cluster-faults',
      timeout: 2_000,
      logger,
    });
  });
  after(async () => {
    await cache.close();
    await cluster.stop();
  });

  it('settles every call, and never counts an increment twice on the masters left', async () => {
    const keys = Array.from({ length: 24 }, (_, i) => `counter-${i}`);
    const acknowledged = new Map(keys.map((key) => [key, 0]));
    const unknown = new Map(keys.map((key) => [key, 0]));
    const round = (): Promise<unknown> =>
      Promise.all(
        keys.map((key) =>
          cache.increment(key).then(
            () => acknowledged.set(key, acknowledged.get(key)! + 1),
            (error: unknown) => {
              if (error instanceof OutcomeUnknownError) unknown.set(key, unknown.get(key)! + 1);
              else if (!(error instanceof BackendError) && !(error instanceof CacheTimeoutError)) throw error;
            },
          ),
        ),
      );
    // Once the cluster sees the master gone it refuses every slot (full coverage); reads of the
    // masters left stay possible for the check below.
    const survivors = cluster.nodes.slice(1).map((node) => new Redis({ port: node.port, host: '127.0.0.1' }));
    await Promise.all(survivors.map((node) => node.config('SET', 'cluster-allow-reads-when-down', 'yes')));
    for (let i = 0; i < 5; i++) await round();
    // Killed with increments on the wire to it and to the others.
    const inFlight = round();
    setImmediate(() => void cluster.nodes[0]!.kill());
    await inFlight;
    for (let i = 0; i < 5; i++) await round();

    let checked = 0;
    for (const key of keys) {
      // The master that owns the key answers it; another answers MOVED. Keys of the killed one
      // died with it.
      const answers = await Promise.all(
        survivors.map((node) => node.get(`cluster-faults:${key}`).catch(() => 'moved' as const)),
      );
      const owned = answers.filter((answer) => answer !== 'moved');
      if (owned.length === 0) continue;
      checked++;
      const count = Number(owned[0] ?? 0);
      expect(count, key).to.be.at.least(acknowledged.get(key)!);
      expect(count, key).to.be.at.most(acknowledged.get(key)! + unknown.get(key)!);
    }
    survivors.forEach((node) => node.disconnect());
    expect(checked, 'keys on the masters left').to.be.above(0);
  });
});
