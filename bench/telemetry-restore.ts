// Whether a memory get-hit is as fast after a `larder:operation` subscriber came and went as it
// was before anyone subscribed (the telemetry issue's "subscribing and then unsubscribing must
// restore it"). Each run is a fresh process: its gets are timed in rounds before any subscriber,
// then a subscriber listens to 100k traced gets and leaves, and the gets are timed again. A
// before/after pair can only be taken in time order inside one process, so each round's time is
// paired with the median of the other phase, and runs are repeated to see the spread.
//   npm run bench:telemetry            (add --quick for 3 runs of fewer rounds)
import { execFileSync } from 'node:child_process';
import { tracingChannel } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { Cache, MemoryBackend } from '../dist/index.js';
import { KEYS, valueFor } from './subject.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 7 : 21;
const OPS = 100_000;

async function child(): Promise<void> {
  const cache = new Cache({ backend: new MemoryBackend({ maxSize: KEYS.length }), ttl: '1h' });
  for (const key of KEYS) await cache.set(key, valueFor(key), { ttl: '1h' });
  const run = async (ops: number): Promise<number> => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) await cache.get(KEYS[i % KEYS.length]!);
    return Number(process.hrtime.bigint() - started) / ops;
  };
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  const rounds = async (): Promise<number> => {
    const times: number[] = [];
    for (let r = 0; r < ROUNDS; r++) times.push(await run(OPS));
    return median(times);
  };
  await run(10 * OPS);
  const before = await rounds();
  const channel = tracingChannel('larder:operation');
  let seen = 0;
  const subscriber = {
    start: () => void seen++,
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: () => undefined,
    error: () => undefined,
  };
  channel.subscribe(subscriber);
  await run(OPS);
  channel.unsubscribe(subscriber);
  if (seen < OPS) throw new Error(`the subscriber saw ${seen} of ${OPS} traced gets`);
  await run(10 * OPS);
  const after = await rounds();
  process.stdout.write(JSON.stringify({ before, after }));
}

if (process.argv.includes('--child')) {
  await child();
} else {
  const runs = quick ? 3 : 7;
  const rows: { before: number; after: number }[] = [];
  const self = fileURLToPath(import.meta.url);
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, self, '--child', ...(quick ? ['--quick'] : [])],
      {
        encoding: 'utf8',
      },
    );
    rows.push(JSON.parse(out) as { before: number; after: number });
  }
  const lines = [
    '| run | before a subscriber (ns per get) | after it left (ns per get) | after / before |',
    '| ---: | ---: | ---: | ---: |',
    ...rows.map(
      ({ before, after }, i) =>
        `| ${i + 1} | ${before.toFixed(1)} | ${after.toFixed(1)} | ${(after / before).toFixed(3)} |`,
    ),
  ];
  const ratios = rows.map(({ before, after }) => after / before).sort((a, b) => a - b);
  lines.push('', `median after / before: ${ratios[ratios.length >> 1]!.toFixed(3)} (${runs} runs)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
