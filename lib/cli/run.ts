import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Cache } from '../cache.js';
import { didYouMean } from '../did-you-mean.js';
import { ConfigError } from '../errors.js';
import { CacheRegistry } from '../registry.js';
import { COMMANDS, EXIT, type CliIO, type CommandContext } from './commands.js';
import { cliLog, describeFailure, oneLine } from './report.js';

export { EXIT, progressLine, type CliIO } from './commands.js';

const USAGE = `Usage: larder <command> [alias] [arguments] [options]

Commands:
  ping <alias>                  check the alias' cache answers, and how fast
  get <alias> <key>             print a value (decoded with the alias' serializer) and its ttl
  set <alias> <key> <json>      store a JSON value [--ttl 5m]
  delete <alias> <key>          remove a key
  keys <alias> [glob]           list keys (SCAN, paged; never KEYS) [--count 1000]
  clear <alias>                 remove every key of the alias' namespace (asks first) [--yes]
                                and say how many
  info <alias>                  backend, namespace, key count, approximate bytes, ttl spread
  tags invalidate <alias> <tag…>  make every entry written with one of the tags miss, everywhere

Options:
  --config <file>   a JSON config file (default: $LARDER_CONFIG)
  --url <url>       one cache from a URL instead of a config; then leave the alias out
  --json            machine-readable output
  --ttl <duration>  ttl for set ('30s', '5m', …)
  --yes             clear without asking
  --count <n>       SCAN page size for keys, clear and info (default 1000)
  -h, --help        this help
  -V, --version     larder's version

Exit codes: 0 ok, 1 not found, 2 error.`;

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
      options: OPTIONS,
    });
  } catch (error) {
    io.stderr.write(`larder: ${usageFailure(error)}\n`);
    return EXIT.error;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const [first, ...rest] = positionals;
  // Commands of two words (`tags invalidate`) are named by both.
  const command = first === 'tags' && rest.length > 0 ? `${first} ${rest.shift()!}` : first;
  if (values.help || command === undefined || command === 'help') {
    (values.help || command === 'help' ? io.stdout : io.stderr).write(`${USAGE}\n`);
    return values.help || command === 'help' ? EXIT.ok : EXIT.error;
  }
  const spec = COMMANDS[command];
  if (spec === undefined) {
    const near = didYouMean(command, Object.keys(COMMANDS));
    io.stderr.write(
      `larder: unknown command "${oneLine(command)}"${near === undefined ? '' : `; did you mean "${near}"?`} (larder --help lists them)\n`,
    );
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

  const log = cliLog(io.stderr, io.env);
  const registry = new CacheRegistry();
  registry.setLogger(log.logger);
  const configFile = values.config ?? (io.env.LARDER_CONFIG || undefined);
  let cache: Cache | undefined;
  try {
    if (values.url !== undefined) registry.setConfig({ url: values.url });
    else if (configFile !== undefined) registry.loadConfig(configFile);
    // Set, not left unset: an unset registry would read LARDER_CONFIG from process.env, which is
    // not the environment this run was given.
    else registry.setConfig({});
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
    let line = describeFailure(error, log.unreachable());
    // With no config, only the in-memory `default` exists: an unknown alias then most likely
    // means the config was not found, so say where the CLI looks for one.
    if (error instanceof ConfigError && values.url === undefined && configFile === undefined) {
      line += '; no config given: pass --config <file> or set the LARDER_CONFIG environment variable';
    }
    io.stderr.write(`larder: ${line}\n`);
    return EXIT.error;
  } finally {
    await cache?.close().catch(() => undefined);
  }
}

const OPTIONS = {
  config: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean', default: false },
  ttl: { type: 'string' },
  yes: { type: 'boolean', default: false },
  count: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'V', default: false },
} as const;

// Node's own messages for an unknown option end in an unclosed quote (`as in '-- "--frob"`) and
// know no larder flags; say it in larder's words, with the closest flag.
function usageFailure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return `${oneLine(message)} (larder --help lists the options)`;
  const flag = /^Unknown option '([^']*)'/.exec(message)?.[1] ?? message;
  const flags = Object.entries(OPTIONS).flatMap(([name, option]) =>
    'short' in option ? [`--${name}`, `-${option.short}`] : [`--${name}`],
  );
  const near = didYouMean(flag, flags);
  const hint = near === undefined ? '' : `; did you mean "${near}"?`;
  return `unknown option "${oneLine(flag)}"${hint} (to pass an argument that starts with "-", put "--" before it)`;
}

// package.json sits two folders up from both lib/cli/run.ts and dist/cli/run.js; it is read only
// when asked for, so no other command pays for it.
function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
