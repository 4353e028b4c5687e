import { pino, type Logger } from 'pino';
import { BackendError, CacheTimeoutError, ConfigError } from '../errors.js';

/** Where the command line's human lines go: stderr in the real `larder` binary. */
export interface LineSink {
  write(text: string): unknown;
}

/** The logger the command line gives its caches, and what it learnt from their records. */
export interface CliLog {
  /** A pino logger whose records come out as one `larder: warning: …` line each. */
  readonly logger: Logger;
  /**
   * The last backend the library logged it could not reach, as `redis at 127.0.0.1:6390
   * (ECONNREFUSED)`, if any: the operation that then fails says only that it timed out or hit
   * a retry limit, which is not what an operator needs to read.
   */
  unreachable(): string | undefined;
}

const LABELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warning',
  50: 'error',
  60: 'fatal',
};

// System calls and codes that mean the connection itself failed, not a command on it.
const CONNECTING_SYSCALLS = new Set(['connect', 'getaddrinfo']);
const CONNECTION_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

interface LoggedError {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
}

interface LogRecord {
  readonly level?: unknown;
  readonly msg?: unknown;
  readonly key?: unknown;
  readonly backend?: unknown;
  readonly err?: LoggedError;
}

/**
 * A logger for the caches the command line builds: a real pino logger (so `child`, levels and
 * error serialisation behave as the library expects) whose destination turns each JSON record
 * into one human line on `stderr`, terminal or not: people read it, and scripts can still grep a
 * stable `larder: <level>: ` prefix. No stack traces: the CLI's failures are the operator's to
 * fix, not a bug report. `LARDER_LOG_LEVEL` (default `warn`) picks what is printed.
 */
export function cliLog(stderr: LineSink, env: NodeJS.ProcessEnv): CliLog {
  const wanted = env.LARDER_LOG_LEVEL?.trim().toLowerCase() ?? '';
  const known = wanted === 'silent' || wanted in pino.levels.values;
  const threshold = !known || wanted === '' ? 40 : (pino.levels.values[wanted] ?? Infinity);
  let unreachable: string | undefined;
  const destination = {
    write(line: string): void {
      const record = parseRecord(line);
      if (record === undefined) return;
      const where = unreachableFrom(record);
      if (where !== undefined) unreachable = where;
      const level = typeof record.level === 'number' ? record.level : 30;
      if (level >= threshold) stderr.write(`larder: ${humanLine(record, level)}\n`);
    },
  };
  // Debug records are listened to whatever is printed: the backend logs its connection failures
  // quietly once it has warned, and `unreachable` must see the latest.
  const logger = pino(
    { level: wanted === 'trace' ? 'trace' : 'debug', base: null, timestamp: false },
    destination,
  );
  if (!known && wanted !== '')
    logger.warn({ LARDER_LOG_LEVEL: wanted }, 'unknown LARDER_LOG_LEVEL; using "warn"');
  return { logger, unreachable: () => unreachable };
}

/**
 * One line for a failure the command line ends on: the error's message, with its causes' and
 * their system code (`ECONNREFUSED`) where they add something, never a stack.
 *
 * @param unreachable - what {@link CliLog.unreachable} found, which explains a backend failure
 *   or timeout better than the error does.
 */
export function describeFailure(error: unknown, unreachable: string | undefined): string {
  if (error instanceof ConfigError) return oneLine(`config error: ${error.message}`);
  if (unreachable !== undefined && (error instanceof BackendError || error instanceof CacheTimeoutError)) {
    return `cannot reach ${unreachable}`;
  }
  let text = error instanceof Error ? error.message : String(error);
  let code: string | undefined;
  // A cause chain is short; the bound only guards against a cycle.
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current !== error && current.message !== '' && !text.includes(current.message)) {
      text += `: ${current.message}`;
    }
    const own = (current as { code?: unknown }).code;
    // larder's own codes name the class, which the message already says; a system code does not.
    if (typeof own === 'string' && !own.startsWith('LARDER_')) code = own;
    current = current.cause;
  }
  if (code !== undefined && !text.includes(code)) text += ` (${code})`;
  return oneLine(text);
}

/** `text` on one line: a message that spans lines would break the one-line-per-failure promise. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function parseRecord(line: string): LogRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as LogRecord) : undefined;
  } catch {
    return undefined;
  }
}

function humanLine(record: LogRecord, level: number): string {
  const label = LABELS[level] ?? 'log';
  let text = typeof record.msg === 'string' ? record.msg : '';
  if (typeof record.key === 'string') text += ` (key ${record.key})`;
  const err = record.err;
  if (err !== undefined) {
    const message = typeof err.message === 'string' ? err.message : '';
    const code = typeof err.code === 'string' && !message.includes(err.code) ? err.code : undefined;
    const detail = [message, code === undefined ? '' : `(${code})`].filter((part) => part !== '').join(' ');
    if (detail !== '') text += `: ${detail}`;
  }
  return oneLine(`${label}: ${text}`);
}

function unreachableFrom(record: LogRecord): string | undefined {
  const err = record.err;
  if (err === undefined || typeof err.code !== 'string') return undefined;
  const connecting = typeof err.syscall === 'string' && CONNECTING_SYSCALLS.has(err.syscall);
  if (!connecting && !CONNECTION_CODES.has(err.code)) return undefined;
  const host =
    typeof err.address === 'string'
      ? err.address
      : typeof err.hostname === 'string'
        ? err.hostname
        : undefined;
  const where =
    host === undefined ? '' : typeof err.port === 'number' ? ` at ${host}:${err.port}` : ` at ${host}`;
  const backend = typeof record.backend === 'string' ? record.backend : 'the backend';
  return `${backend}${where} (${err.code})`;
}
