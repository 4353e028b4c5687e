// How soon another cache's L1 stops serving a value after a write was acknowledged, for the bus
// and for Redis tracking: `await writer.set(k, v)`, then the time until `reader.peek(k)` no longer
// answers the old value. Two caches on separate connections to one real redis-server on loopback
// (in one process, so one clock measures both ends). The target (issue 15): p99 < 10 ms.
//   npm run build && npx tsx bench/invalidation-latency.ts   (add --quick for 200 writes per mode)
import { Cache, RedisBackend } from '../dist/index.js';
import { RedisServer } from '../test/support/redis-server.js';

const writes = process.argv.includes('--quick') ? 200 : 2_000;
const server = await RedisServer.start();

async function latencies(invalidation: 'bus' | 'tracking'): Promise<number[]> {
  const make = (): Cache<number> =>
    new Cache<number>({
      backend: new RedisBackend({ url: server.url }),
      namespace: `lat-${invalidation}`,
      l1: true,
      invalidation,
    });
  const writer = make();
  const reader = make();
  try {
    while (writer.coherence !== 'live' || reader.coherence !== 'live')
      await new Promise((r) => setTimeout(r, 10));
    const measured: number[] = [];
    for (let i = 0; i < writes; i++) {
      await writer.set('k', i);
      // Filled with i, as Redis holds it now (a read that overlapped the invalidation may not fill).
      while (reader.peek('k') !== i) {
        await reader.get('k');
        await new Promise((r) => setImmediate(r));
      }
      await writer.set('k', i + 0.5);
      const acknowledged = process.hrtime.bigint();
      while (reader.peek('k') === i) await new Promise((r) => setImmediate(r));
      const stopped = process.hrtime.bigint();
      // From the acknowledgement; an invalidation that came before it counts as 0.
      measured.push(Number(stopped - (acknowledged > stopped ? stopped : acknowledged)) / 1e6);
    }
    return measured.sort((a, b) => a - b);
  } finally {
    await Promise.all([writer.close(), reader.close()]);
  }
}

const at = (sorted: number[], q: number): string =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
try {
  process.stdout.write('| invalidation | writes | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|\n');
  for (const mode of ['bus', 'tracking'] as const) {
    const sorted = await latencies(mode);
    process.stdout.write(
      `| ${mode} | ${sorted.length} | ${at(sorted, 0.5)} | ${at(sorted, 0.99)} | ${at(sorted, 1)} |\n`,
    );
  }
} finally {
  await server.stop();
}
