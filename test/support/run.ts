import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Output of a finished child process. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (never throwing on a non-zero exit) and collects its output. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd ?? ROOT,
        timeout: options.timeoutMs ?? 60_000,
        env: { ...process.env, LARDER_LOG_LEVEL: 'warn', ...options.env },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a TypeScript file with tsx, as `npm start` and the example scripts do. */
export function runTs(
  file: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return run(process.execPath, ['--import', 'tsx', file, ...args], { env });
}

/**
 * A TypeScript file running under tsx that the test talks to while it runs: lines written to its
 * stdin, lines read from its stdout as they come. For processes a test must hold at a barrier
 * (each prints `ready`, then waits for `go`) instead of timing them against the clock.
 */
export interface Conversation {
  readonly child: ChildProcess;
  /**
   * The next line the process prints on stdout (without its newline). Rejects, with the exit code
   * and stderr, if the process ends before printing one.
   */
  nextLine(): Promise<string>;
  /** Writes `line` and a newline to the process's stdin. */
  send(line: string): void;
  /** Settles once the process has exited, with everything it printed (including lines already read). */
  readonly done: Promise<RunResult>;
  /** Kills the process (SIGKILL) if it is still running. */
  kill(): void;
}

/**
 * Starts a TypeScript file with tsx, as {@link runTs} does, and returns at once with a
 * {@link Conversation}. The process is killed if it is still running after `timeoutMs`.
 */
export function spawnTs(
  file: string,
  args: readonly string[] = [],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Conversation {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, LARDER_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let unread = '';
  const lines: string[] = [];
  const readers: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let ended: RunResult | undefined;

  const ending = (result: RunResult): Error =>
    new Error(`the process exited (code ${result.code}) before printing a line; stderr:\n${result.stderr}`);

  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    unread += chunk;
    for (let end = unread.indexOf('\n'); end !== -1; end = unread.indexOf('\n')) {
      const line = unread.slice(0, end);
      unread = unread.slice(end + 1);
      const reader = readers.shift();
      if (reader === undefined) lines.push(line);
      else reader.resolve(line);
    }
  });
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  // A process that exits before reading all its stdin must not fail the test with EPIPE.
  child.stdin.on('error', () => undefined);

  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<RunResult>((resolve) => {
    child.once('error', (error) => {
      stderr += String(error);
    });
    // 'close' comes after the output streams have ended, so nothing printed is missed.
    child.once('close', (code) => {
      clearTimeout(timer);
      ended = { code, stdout, stderr };
      for (const reader of readers.splice(0)) reader.reject(ending(ended));
      resolve(ended);
    });
  });

  return {
    child,
    nextLine() {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (ended !== undefined) return Promise.reject(ending(ended));
      return new Promise((resolve, reject) => readers.push({ resolve, reject }));
    },
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    done,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
