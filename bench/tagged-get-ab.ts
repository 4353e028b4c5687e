// A/B of a Redis get, untagged and tagged, at the command level (ioredis alone, no cache):
//   untagged: GET against the GET_WITH_TAGS script (EVALSHA) on the same untagged value;
//   tagged: GET then MGET of its two tag keys (two round trips) against the script (one).
// Sequential calls (each awaited: the latency a request sees), 64 in flight (the server's
// throughput), and the server's own time per call. Rounds alternate A and B so that the machine's load falls on both alike.
// Run: npx tsx bench/tagged-get-ab.ts <port>   (a redis-server of your own on 127.0.0.1)
import { Redis } from 'ioredis';
import { GET_WITH_TAGS } from '../lib/backends/redis/scripts.js';
import { wrapPayload } from '../lib/tags/tagged-payload.js';

const port = Number(process.argv[2]);
const client = new Redis({ port, host: '127.0.0.1' });
const MARK = Buffer.from([0x00, 0x4c, 0x54, 0x01]);
const sha = String(await client.script('LOAD', GET_WITH_TAGS));
const value = JSON.stringify({ id: 1, name: 'a product', price: 12.5, tags: ['x', 'y'] });
const tagKeys = ['__larder:tag:{tab}:product:1', '__larder:tag:{tab}:catalog'];
await client.mset(tagKeys[0]!, 'token-one-xxxxxxxxxxxxxx', tagKeys[1]!, 'token-two-xxxxxxxxxxxxxx');
await client.set('ab:plain', value);
await client.set(
  'ab:tagged',
  wrapPayload(value, tagKeys, ['token-one-xxxxxxxxxxxxxx', 'token-two-xxxxxxxxxxxxxx'], false) as Buffer,
);

const subjects: Record<string, () => Promise<unknown>> = {
  'untagged GET': () => client.getBuffer('ab:plain'),
  'untagged script': () => client.callBuffer('EVALSHA', sha, 1, 'ab:plain', MARK),
  'tagged GET+MGET': async () => {
    await client.getBuffer('ab:tagged');
    return client.mget(...tagKeys);
  },
  'tagged script': () => client.callBuffer('EVALSHA', sha, 1, 'ab:tagged', MARK),
};

async function sequential(fn: () => Promise<unknown>, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - start) / n / 1000; // µs per call
}

async function inFlight(fn: () => Promise<unknown>, n: number, width: number): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next++ < n) await fn();
    }),
  );
  return n / (Number(process.hrtime.bigint() - start) / 1e9); // calls per second
}

const rounds = Number(process.argv[3] ?? 7);
const seq: Record<string, number[]> = {};
const thr: Record<string, number[]> = {};
for (const name of Object.keys(subjects)) await sequential(subjects[name]!, 2_000); // warm-up
for (let round = 0; round < rounds; round++) {
  const names = Object.keys(subjects);
  if (round % 2 === 1) names.reverse();
  for (const name of names) {
    (seq[name] ??= []).push(await sequential(subjects[name]!, 5_000));
    (thr[name] ??= []).push(await inFlight(subjects[name]!, 50_000, 64));
  }
}
// The server's own time per call (INFO commandstats), which the client's load does not blur as
// much: the script's GET and MGET are counted inside its EVALSHA, and apart as well.
const serverUs: Record<string, number> = {};
for (const name of Object.keys(subjects)) {
  await client.config('RESETSTAT');
  await inFlight(subjects[name]!, 20_000, 16);
  const info = await client.info('commandstats');
  const usec = (command: string): number =>
    Number(new RegExp(`^cmdstat_${command}:calls=(\\d+),usec=(\\d+)`, 'm').exec(info)?.[2] ?? 0);
  const spent = name.includes('script') ? usec('evalsha') : usec('get') + usec('mget');
  serverUs[name] = spent / 20_000;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const name of Object.keys(subjects)) {
  console.log(
    `${name.padEnd(18)} sequential ${median(seq[name]!).toFixed(1)} µs/call   64 in flight ${Math.round(median(thr[name]!))} calls/s   server ${serverUs[name]!.toFixed(2)} µs/call`,
  );
}
client.disconnect();
