import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Cache } from '../cache.js';
import { ConfigError, LarderError } from '../errors.js';
import { CacheRegistry } from '../registry.js';
import { formatBytes, formatDuration, formatValue, toJson } from './format.js';

/** Exit codes of the `larder` command line. */
export const EXIT = Object.freeze({ ok: 0, notFound: 1, error: 2 });

/** Where the command line reads and writes; `process`'s own streams in the real `larder` binary. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

const USAGE = `Usage: larder <command> [alias] [arguments] [options]

Commands:
  ping <alias>                  check the alias' cache answers, and how fast
  get <alias> <key>             print a value (decoded with the alias' serializer) and its ttl
  set <alias> <key> <json>      store a JSON value [--ttl 5m]
  delete <alias> <key>          remove a key
  keys <alias> [glob]           list keys (SCAN, paged; never KEYS) [--count 1000]
  clear <alias>                 remove every key of the alias' namespace (asks first) [--yes]
  info <alias>                  backend, namespace, key count, approximate bytes, ttl spread

Options:
  --config <file>   a JSON config file (default: $LARDER_CONFIG)
  --url <url>       one cache from a URL instead of a config; then leave the alias out
  --json            machine-readable output
  --ttl <duration>  ttl for set ('30s', '5m', …)
  --yes             clear without asking
  --count <n>       SCAN page size for keys and info (default 1000)
  -h, --help        this help

Exit codes: 0 ok, 1 not found, 2 error.`;

// Keys sampled by `info` for sizes and ttls; counting walks them all.
const INFO_SAMPLE = 1_000;

/**
 * Runs the `larder` command line with `argv` (the arguments after the program name).
 *
 * @returns the exit code: 0 ok, 1 not found, 2 error.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        url: { type: 'string' },
        json: { type: 'boolean', default: false },
        ttl: { type: 'string' },
        yes: { type: 'boolean', default: false },
        count: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`larder: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.error;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    (values.help || command === 'help' ? io.stdout : io.stderr).write(`${USAGE}\n`);
    return values.help || command === 'help' ? EXIT.ok : EXIT.error;
  }
  const spec = COMMANDS[command];
  if (spec === undefined) {
    io.stderr.write(`larder: unknown command "${command}"\n\n${USAGE}\n`);
    return EXIT.error;
  }

  // With --url, there is no alias to name: the URL is the cache.
  const args = values.url === undefined ? rest : ['url', ...rest];
  if (args.length < spec.min || args.length > spec.max) {
    io.stderr.write(
      `larder: ${command} takes ${spec.usage}${values.url === undefined ? '' : ' (with --url, leave the alias out)'}\n`,
    );
    return EXIT.error;
  }
  const count = values.count === undefined ? 1_000 : Number(values.count);
  if (!Number.isSafeInteger(count) || count < 1) {
    io.stderr.write(`larder: --count must be a positive integer; got "${values.count}"\n`);
    return EXIT.error;
  }

  const registry = new CacheRegistry();
  let cache: Cache | undefined;
  try {
    if (values.url !== undefined) registry.setConfig({ url: values.url });
    else if (values.config !== undefined) registry.loadConfig(values.config);
    else if (io.env.LARDER_CONFIG) registry.loadConfig(io.env.LARDER_CONFIG);
    cache = registry.create(args[0]!, { timeout: '5s' });
    const context: CommandContext = {
      cache,
      alias: args[0]!,
      args: args.slice(1),
      io,
      json: values.json,
      ttl: values.ttl,
      yes: values.yes,
      count,
    };
    return await spec.run(context);
  } catch (error) {
    io.stderr.write(`larder: ${describeFailure(error)}\n`);
    return EXIT.error;
  } finally {
    await cache?.close().catch(() => undefined);
  }
}

interface CommandContext {
  readonly cache: Cache;
  readonly alias: string;
  readonly args: readonly string[];
  readonly io: CliIO;
  readonly json: boolean;
  readonly ttl: string | undefined;
  readonly yes: boolean;
  readonly count: number;
}

interface CommandSpec {
  readonly usage: string;
  readonly min: number;
  readonly max: number;
  run(context: CommandContext): Promise<number>;
}

const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  ping: { usage: '<alias>', min: 1, max: 1, run: ping },
  get: { usage: '<alias> <key>', min: 2, max: 2, run: get },
  set: { usage: '<alias> <key> <json>', min: 3, max: 3, run: set },
  delete: { usage: '<alias> <key>', min: 2, max: 2, run: remove },
  keys: { usage: '<alias> [glob]', min: 1, max: 2, run: keys },
  clear: { usage: '<alias>', min: 1, max: 1, run: clear },
  info: { usage: '<alias>', min: 1, max: 1, run: info },
};

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
    write(io, json, { alias, key, found: false }, `(not found) ${key}`);
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
  write(
    io,
    json,
    { alias, key, deleted: removed === 1 },
    removed === 1 ? `deleted ${key}` : `(not found) ${key}`,
  );
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

async function clear({ cache, alias, io, json, yes }: CommandContext): Promise<number> {
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
  await cache.clear();
  write(io, json, { alias, cleared: true }, `cleared ${scope}`);
  return EXIT.ok;
}

async function info({ cache, alias, io, json, count }: CommandContext): Promise<number> {
  const progress = progressLine(io);
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

/** A "scanned N keys…" line on stderr, only when a person is watching stdout. */
export function progressLine(io: CliIO): { add(n: number): void; clear(): void } {
  let scanned = 0;
  let shown = false;
  const live = io.stdout.isTTY === true;
  return {
    add(n) {
      scanned += n;
      if (!live) return;
      io.stderr.write(`\rscanned ${scanned} keys…`);
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

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError) return `config error: ${error.message}`;
  if (error instanceof LarderError)
    return `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
