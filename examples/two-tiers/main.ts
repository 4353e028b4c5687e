// Two processes, each with an in-process L1 in front of one Redis, kept coherent by the bus:
//   REDIS_URL=redis://127.0.0.1:6379/0 npm run example:two-tiers
// This process writes; it forks a second one that reads. A read the L1 answers sends nothing to
// Redis; once the writer's set is acknowledged, the reader's L1 drops the key and its next read
// brings the new value.
import { fork } from 'node:child_process';
import { Cache } from 'larder';

const base = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
const url = new URL(base);
url.searchParams.set('namespace', 'example-two-tiers');
url.searchParams.set('l1', '1000');
url.searchParams.set('l1Ttl', '1m');

const cache = Cache.fromUrl<number>(url.href);
const until = async (check: () => boolean | Promise<boolean>): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
};
await until(() => cache.coherence === 'live');

if (process.argv[2] === 'reader') {
  // The reader answers the writer's questions over the IPC channel fork() opened.
  process.on('message', async (question: string) => {
    if (question === 'fill') {
      await until(async () => (await cache.get('price')) !== undefined && cache.peek('price') !== undefined);
      process.send!(`get price  -> ${await cache.get('price')} (read from Redis once, now in its L1)`);
    } else if (question === 'peek') {
      process.send!(
        `peek price -> ${cache.peek('price')} (the L1, synchronously; coherence ${cache.coherence})`,
      );
    } else if (question === 'after') {
      await until(() => cache.peek('price') === undefined);
      process.send!(`get price  -> ${await cache.get('price')} (the L1 dropped the old value)`);
    } else {
      await cache.close();
      process.disconnect();
    }
  });
  process.send!('ready');
} else {
  const reader = fork(process.argv[1]!, ['reader'], { execArgv: process.execArgv, env: process.env });
  const answers: string[] = [];
  const waiting: ((answer: string) => void)[] = [];
  reader.on('message', (answer: string) => {
    const next = waiting.shift();
    if (next === undefined) answers.push(answer);
    else next(answer);
  });
  const ask = (question?: string): Promise<string> => {
    if (question !== undefined) reader.send(question);
    const ready = answers.shift();
    return ready !== undefined ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
  };
  try {
    await ask(); // ready
    await cache.set('price', 10);
    console.log('writer set price  -> 10');
    console.log('reader', await ask('fill'));
    console.log('reader', await ask('peek'));
    await cache.set('price', 12);
    console.log('writer set price  -> 12');
    console.log('reader', await ask('after'));
  } finally {
    reader.send('quit');
    await new Promise((resolve) => reader.once('exit', resolve));
    await cache.delete('price');
    await cache.close();
  }
}
