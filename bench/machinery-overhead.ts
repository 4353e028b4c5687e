// What larder's optional machinery costs when it is not used, and when it is: plugins, the
// per-operation time limit and a namespace, on the memory hot path and on a real Redis (64
// concurrent gets).
// Calibrated, interleaved rounds through the benchmark's harness; larder from dist/, as users run it.
//   npm run bench:machinery            (add --quick for a short run; --smoke, CI's, checks the output)
import { deepStrictEqual } from 'node:assert';
import { Cache, MemoryBackend, RedisBackend, type Plugin } from '../dist/index.js';
import { RedisServer } from '../test/support/redis-server.js';
import { measure, toMarkdown, type Cell, planFromArgs } from './harness.js';
import { checkMachineryOutput, smokeChecked } from './smoke-checks.js';
import { KEYS, valueFor } from './subject.js';

const smoke = process.argv.includes('--smoke');
const plan = planFromArgs(process.argv);

function sequentialGets(cache: Cache): Cell['run'] {
  return async (ops) => {
    for (let i = 0; i < ops; i++) await cache.get(KEYS[i % KEYS.length]!);
  };
}

function concurrentGets(cache: Cache): Cell['run'] {
  return async (ops) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < ops) await cache.get(KEYS[next++ % KEYS.length]!);
      }),
    );
  };
}

const store = () => new MemoryBackend({ maxSize: KEYS.length });
const memory: [string, Cache, boolean?][] = [
  ['no plugins, default time limit (5s)', new Cache({ backend: store() }), true],
  ['no time limit (timeout: 0)', new Cache({ backend: store(), timeout: 0 })],
  [
    'a plugin with hooks for other operations only',
    new Cache({ backend: store(), plugins: [{ postSet: () => undefined } satisfies Plugin] }),
  ],
  [
    'a no-op postGet hook',
    new Cache({ backend: store(), plugins: [{ postGet: () => undefined } satisfies Plugin] }),
  ],
  // Every key gets a prefix: the final keys are remembered, so a hot key is not rebuilt and rehashed.
  ['a namespace ("app:" before every key)', new Cache({ backend: store(), namespace: 'app' })],
];
const server = await RedisServer.start();
const redis: [string, Cache, boolean?][] = [
  ['default time limit (5s)', new Cache({ backend: new RedisBackend({ url: server.url }) }), true],
  ['no time limit (timeout: 0)', new Cache({ backend: new RedisBackend({ url: server.url }), timeout: 0 })],
  [
    'a per-call time limit ({ timeout: "5s" })',
    new Cache({ backend: new RedisBackend({ url: server.url }) }),
  ],
];
try {
  for (const [, cache] of [...memory, ...redis]) {
    await cache.multiSet(KEYS.map((key) => [key, valueFor(key)] as [string, unknown]));
    // Checked before anything is timed: the first and last keys read back as their values.
    const edges = [KEYS[0]!, KEYS.at(-1)!];
    deepStrictEqual(
      (await cache.multiGet(edges)).map((v) => JSON.stringify(v)),
      edges.map((key) => JSON.stringify(valueFor(key))),
    );
  }
  const perCall = redis[2]![1];
  const cells: Cell[] = [
    ...memory.map(([subject, cache, reference]) => ({
      workload: 'memory get (hit), awaited one at a time',
      subject,
      reference,
      run: sequentialGets(cache),
    })),
    ...redis.slice(0, 2).map(([subject, cache, reference]) => ({
      workload: 'redis get, 64 concurrent',
      subject,
      reference,
      run: concurrentGets(cache),
    })),
    {
      workload: 'redis get, 64 concurrent',
      subject: redis[2]![0],
      run: async (ops: number) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: 64 }, async () => {
            while (next < ops) await perCall.get(KEYS[next++ % KEYS.length]!, { timeout: '5s' });
          }),
        );
      },
    },
  ];
  const markdown = toMarkdown(await measure(cells, plan));
  process.stdout.write(markdown);
  if (smoke) await smokeChecked('npm run bench:machinery -- --smoke', () => checkMachineryOutput(markdown));
} finally {
  for (const [, cache] of [...memory, ...redis]) await cache.close();
  await server.stop();
}
