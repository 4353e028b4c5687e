// Measures larder's Redis backend with and without ioredis auto-pipelining (and raw ioredis beside
// it) on a redis-server of its own, to choose the `autoPipelining` default by measurement.
// Cells are interleaved across rounds (A B A B …) and the median is reported, because machines are noisy.
//   npm run bench:autopipelining            (or add --quick)
import { Redis } from 'ioredis';
import { Cache, RedisBackend } from '../lib/index.js';
import { RedisServer } from '../test/support/redis-server.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const OPS = quick ? 5_000 : 40_000;
const CONCURRENCY = 64;
const value = { id: 1, name: 'a user', tags: ['x', 'y', 'z'], score: 4.5, nested: { deep: true } };

type Cell = { name: string; run: (keys: string[]) => Promise<void> };

async function concurrently(total: number, worker: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) await worker(next++);
    }),
  );
}

const server = await RedisServer.start();
try {
  const plain = new Cache({ backend: new RedisBackend({ url: server.url }), timeout: 0 });
  const piped = new Cache({
    backend: new RedisBackend({ url: server.url, autoPipelining: true }),
    timeout: 0,
  });
  const rawPlain = new Redis({ port: server.port });
  const rawPiped = new Redis({ port: server.port, enableAutoPipelining: true });
  const keys = Array.from({ length: 1_000 }, (_, i) => `k${i}`);
  await plain.multiSet(keys.map((key) => [key, value] as [string, typeof value]));

  const sequentially = async (total: number, worker: (i: number) => Promise<unknown>): Promise<void> => {
    for (let i = 0; i < total; i++) await worker(i);
  };
  const SEQUENTIAL_OPS = Math.floor(OPS / 4);
  const cells: Cell[] = [
    {
      name: 'larder get, sequential, plain',
      run: (k) => sequentially(SEQUENTIAL_OPS, (i) => plain.get(k[i % k.length]!)),
    },
    {
      name: 'larder get, sequential, auto-pipelined',
      run: (k) => sequentially(SEQUENTIAL_OPS, (i) => piped.get(k[i % k.length]!)),
    },
    { name: 'larder get, plain', run: (k) => concurrently(OPS, (i) => plain.get(k[i % k.length]!)) },
    { name: 'larder get, auto-pipelined', run: (k) => concurrently(OPS, (i) => piped.get(k[i % k.length]!)) },
    {
      name: 'ioredis get+JSON, plain',
      run: (k) => concurrently(OPS, async (i) => JSON.parse((await rawPlain.get(k[i % k.length]!))!)),
    },
    {
      name: 'ioredis get+JSON, auto-pipelined',
      run: (k) => concurrently(OPS, async (i) => JSON.parse((await rawPiped.get(k[i % k.length]!))!)),
    },
    { name: 'larder set, plain', run: (k) => concurrently(OPS, (i) => plain.set(k[i % k.length]!, value)) },
    {
      name: 'larder set, auto-pipelined',
      run: (k) => concurrently(OPS, (i) => piped.set(k[i % k.length]!, value)),
    },
  ];
  const samples = new Map<string, number[]>(cells.map((cell) => [cell.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const cell of cells) {
      const started = performance.now();
      await cell.run(keys);
      const ops = cell.name.includes('sequential') ? SEQUENTIAL_OPS : OPS;
      samples.get(cell.name)!.push(ops / ((performance.now() - started) / 1_000));
    }
  }
  console.log(
    `| ${ROUNDS} interleaved rounds (${CONCURRENCY} concurrent callers unless sequential) | median ops/s |`,
  );
  console.log('|---|---:|');
  for (const [name, values] of samples) {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(`| ${name} | ${Math.round(sorted[Math.floor(sorted.length / 2)]!).toLocaleString('en')} |`);
  }
  await Promise.all([plain.close(), piped.close()]);
  rawPlain.disconnect();
  rawPiped.disconnect();
} finally {
  await server.stop();
}
