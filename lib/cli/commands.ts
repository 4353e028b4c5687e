import { createInterface } from 'node:readline';
import { Cache } from '../cache.js';
import { formatBytes, formatDuration, formatValue, toJson } from './format.js';

/** Exit codes of the `larder` command line. */
export const EXIT = Object.freeze({ ok: 0, notFound: 1, error: 2 });

/** Where the command line reads and writes; `process`'s own streams in the real `larder` binary. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

// Keys sampled by `info` for sizes and ttls; counting walks them all.
const INFO_SAMPLE = 1_000;

/** What a command is run with: the alias' cache, its arguments after the alias, and the options. */
export interface CommandContext {
  readonly cache: Cache;
  readonly alias: string;
  readonly args: readonly string[];
  readonly io: CliIO;
  readonly json: boolean;
  readonly ttl: string | undefined;
  readonly yes: boolean;
  readonly count: number;
}

export interface CommandSpec {
  readonly usage: string;
  readonly min: number;
  readonly max: number;
  run(context: CommandContext): Promise<number>;
}

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  ping: { usage: '<alias>', min: 1, max: 1, run: ping },
  get: { usage: '<alias> <key>', min: 2, max: 2, run: get },
  set: { usage: '<alias> <key> <json>', min: 3, max: 3, run: set },
  delete: { usage: '<alias> <key>', min: 2, max: 2, run: remove },
  keys: { usage: '<alias> [glob]', min: 1, max: 2, run: keys },
  clear: { usage: '<alias>', min: 1, max: 1, run: clear },
  info: { usage: '<alias>', min: 1, max: 1, run: info },
  'tags invalidate': { usage: '<alias> <tag…>', min: 2, max: Infinity, run: invalidateTags },
};

async function invalidateTags({ cache, alias, args, io, json }: CommandContext): Promise<number> {
  const count = await cache.invalidateTags(args);
  write(
    io,
    json,
    { alias, tags: args, invalidated: count },
    `invalidated ${count} tag${count === 1 ? '' : 's'}`,
  );
  return EXIT.ok;
}

async function ping({ cache, alias, io, json }: CommandContext): Promise<number> {
  const started = performance.now();
  await cache.exists('__larder_ping__');
  const ms = performance.now() - started;
  write(
    io,
    json,
    { alias, backend: cache.backend.name, ok: true, ms },
    `PONG from ${alias} (${cache.backend.name}) in ${ms.toFixed(2)} ms`,
  );
  return EXIT.ok;
}

async function get({ cache, alias, args, io, json }: CommandContext): Promise<number> {
  const key = args[0]!;
  const [value, ttl] = await Promise.all([cache.get(key), cache.ttl(key)]);
  if (value === undefined) {
    // A note for the person, not output: `v=$(larder get …)` must not take it for the value.
    if (json) io.stdout.write(`${toJson({ alias, key, found: false })}\n`);
    else io.stderr.write(`(not found) ${key}\n`);
    return EXIT.notFound;
  }
  const colors = io.stdout.isTTY === true;
  write(
    io,
    json,
    { alias, key, found: true, value, ttlMs: ttl === Infinity ? null : ttl },
    `${formatValue(value, colors)}\nttl: ${ttl === undefined ? 'gone' : formatDuration(ttl)}`,
  );
  return EXIT.ok;
}

async function set({ cache, alias, args, io, json, ttl }: CommandContext): Promise<number> {
  const [key, text] = args as [string, string];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    io.stderr.write(
      `larder: the value must be JSON (quote strings: '"text"'): ${(error as Error).message}\n`,
    );
    return EXIT.error;
  }
  await cache.set(key, value, ttl === undefined ? {} : { ttl });
  write(io, json, { alias, key, ok: true }, 'OK');
  return EXIT.ok;
}

async function remove({ cache, alias, args, io, json }: CommandContext): Promise<number> {
  const key = args[0]!;
  const removed = await cache.delete(key);
  if (removed !== 1 && !json) {
    // As for get: the note goes where notes go, and the exit code says it to scripts.
    io.stderr.write(`(not found) ${key}\n`);
    return EXIT.notFound;
  }
  write(io, json, { alias, key, deleted: removed === 1 }, `deleted ${key}`);
  return removed === 1 ? EXIT.ok : EXIT.notFound;
}

async function keys({ cache, alias, args, io, json, count }: CommandContext): Promise<number> {
  const found: string[] = [];
  const progress = progressLine(io);
  for await (const page of cache.scan(args[0] ?? '*', { count })) {
    if (json) found.push(...page);
    else {
      progress.clear();
      io.stdout.write(page.map((key) => `${key}\n`).join(''));
    }
    progress.add(page.length);
  }
  progress.clear();
  if (json) io.stdout.write(`${toJson({ alias, keys: found })}\n`);
  return EXIT.ok;
}

async function clear({ cache, alias, io, json, yes, count }: CommandContext): Promise<number> {
  const scope =
    cache.namespace === undefined
      ? `the whole ${cache.backend.name} store`
      : `namespace "${cache.namespace}"`;
  if (!yes) {
    if (io.stdin.isTTY !== true) {
      io.stderr.write(
        `larder: clear removes every key of ${scope}; add --yes to confirm when not at a terminal\n`,
      );
      return EXIT.error;
    }
    const answer = await ask(
      io,
      `Remove every key of ${scope} (alias ${alias})? Type the alias to confirm: `,
    );
    if (answer.trim() !== alias) {
      io.stderr.write('larder: not confirmed; nothing removed\n');
      return EXIT.error;
    }
  }
  if (cache.namespace === undefined) {
    // The backend empties the whole store at once (FLUSHDB on Redis), which counts nothing.
    await cache.clear();
    write(
      io,
      json,
      { alias, cleared: true, scope: 'store', removed: null },
      `cleared ${scope} (every key in it, not only larder's; not counted)`,
    );
    return EXIT.ok;
  }
  const removed = await clearNamespace(cache, count, progressLine(io, 'removed'));
  write(
    io,
    json,
    { alias, cleared: true, scope: 'namespace', namespace: cache.namespace, removed },
    `cleared ${removed} ${removed === 1 ? 'key' : 'keys'} of ${scope}`,
  );
  return EXIT.ok;
}

/**
 * Removes every key of `cache`'s namespace, page by page, as `clear()` would, and counts them:
 * `clear()` answers only `true`, and one call for millions of keys would also outlast the 5 s
 * limit of a single operation, which here bounds each page instead. A key written while the
 * walk runs may be left (as with `clear()`, which is no snapshot either).
 */
async function clearNamespace(cache: Cache, count: number, progress: Progress): Promise<number> {
  // clear() removes every version of the namespace; scan and multiDelete stay inside the
  // cache's own version, so walk a version-less cache over the same backend (which stays open
  // until both are closed).
  const whole =
    cache.version === undefined
      ? cache
      : new Cache({
          backend: cache.backend,
          namespace: cache.namespace,
          timeout: '5s',
          logger: cache.logger,
        });
  let removed = 0;
  try {
    for await (const page of whole.scan('*', { count })) {
      removed += await whole.multiDelete(page);
      progress.add(page.length);
    }
  } finally {
    progress.clear();
    if (whole !== cache) await whole.close();
  }
  return removed;
}

async function info({ cache, alias, io, json, count }: CommandContext): Promise<number> {
  const progress = progressLine(io);
  // An L1's subscriber connects as the cache is made: give it a moment to say how it is.
  const l1 = cache.l1;
  if (l1 !== undefined) await waitForCoherence(cache, L1_SETTLE_MS);
  let keyCount = 0;
  const sample: string[] = [];
  for await (const page of cache.scan('*', { count })) {
    for (const key of page) if (sample.length < INFO_SAMPLE) sample.push(key);
    keyCount += page.length;
    progress.add(page.length);
  }
  progress.clear();
  const ttls = await Promise.all(sample.map((key) => cache.ttl(key)));
  const sizes = await Promise.all(
    sample.map(async (key) => payloadSize(await cache.backend.get(cache.storedKey(key)))),
  );
  const known = sizes.filter((size): size is number => size !== undefined);
  const approximateBytes =
    keyCount === 0
      ? 0
      : known.length === 0
        ? undefined
        : Math.round((known.reduce((a, b) => a + b, 0) / known.length) * keyCount);
  const expiring = ttls
    .filter((ttl): ttl is number => ttl !== undefined && ttl !== Infinity)
    .sort((a, b) => a - b);
  const spread = {
    sampled: sample.length,
    noExpiry: ttls.filter((ttl) => ttl === Infinity).length,
    minMs: expiring[0] ?? null,
    medianMs: expiring[Math.floor(expiring.length / 2)] ?? null,
    maxMs: expiring.at(-1) ?? null,
  };
  const summary = {
    alias,
    backend: cache.backend.name,
    serializer: cache.serializer.name,
    namespace: cache.namespace ?? null,
    version: cache.version ?? null,
    keys: keyCount,
    approximateBytes: approximateBytes ?? null,
    ttl: spread,
    l1: l1 === undefined ? null : { ...l1, coherence: cache.coherence },
  };
  const ttlText =
    expiring.length === 0
      ? `none expire (${spread.noExpiry} sampled)`
      : `min ${formatDuration(spread.minMs!)}, median ${formatDuration(spread.medianMs!)}, max ${formatDuration(spread.maxMs!)}; ${spread.noExpiry} of ${spread.sampled} sampled never expire`;
  const lines = [
    ['alias', alias],
    ['backend', `${cache.backend.name} (serializer ${cache.serializer.name})`],
    ['namespace', cache.namespace ?? '(none: the whole store)'],
    ['version', cache.version ?? '(none)'],
    ['keys', String(keyCount)],
    [
      'bytes',
      approximateBytes === undefined
        ? 'unknown (values stored as live references)'
        : `~${formatBytes(approximateBytes)}${sample.length < keyCount ? ` (from ${sample.length} sampled keys)` : ''}`,
    ],
    ['ttl', keyCount === 0 ? '(no keys)' : ttlText],
  ];
  if (l1 !== undefined) {
    lines.push([
      'l1',
      `${l1.entries} of ${l1.maxSize} entries, ttl ${formatDuration(l1.ttlMs)}; coherence ${cache.coherence}`,
    ]);
  }
  write(io, json, summary, lines.map(([name, text]) => `${name!.padEnd(10)} ${text}`).join('\n'));
  return EXIT.ok;
}

function payloadSize(payload: unknown): number | undefined {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  if (payload instanceof Uint8Array) return payload.byteLength;
  return undefined;
}

function write(io: CliIO, json: boolean, data: unknown, human: string): void {
  io.stdout.write(`${json ? toJson(data) : human}\n`);
}

/** A progress line, rewritten in place as a long walk goes on, and wiped when it ends. */
export interface Progress {
  add(n: number): void;
  clear(): void;
}

/**
 * A "scanned N keys…" line on stderr, only when stderr is a terminal: a person is there to read
 * it, and a log file or pipe never gets the carriage returns.
 */
export function progressLine(io: CliIO, verb = 'scanned'): Progress {
  let done = 0;
  let shown = false;
  const live = io.stderr.isTTY === true;
  return {
    add(n) {
      done += n;
      if (!live) return;
      io.stderr.write(`\r${verb} ${done} ${done === 1 ? 'key' : 'keys'}…`);
      shown = true;
    },
    clear() {
      if (shown) io.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

function ask(io: CliIO, question: string): Promise<string> {
  const lines = createInterface({ input: io.stdin, output: io.stderr, terminal: false });
  io.stderr.write(question);
  return new Promise((resolve) => {
    let answered = false;
    lines.once('line', (line) => {
      answered = true;
      lines.close();
      resolve(line);
    });
    lines.once('close', () => {
      if (!answered) resolve('');
    });
  });
}

// How long `info` waits for an L1's invalidation to be live before reporting its coherence.
const L1_SETTLE_MS = 2_000;

async function waitForCoherence(cache: CommandContext['cache'], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (cache.coherence === 'degraded' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
