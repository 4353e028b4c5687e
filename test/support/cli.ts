import { PassThrough, Writable } from 'node:stream';
import { runCli, type CliIO } from '../../lib/cli/run.js';
import type { RunResult } from './run.js';

/**
 * Streams standing in for a terminal (`tty`: stdin, stdout and stderr all are one) or for pipes,
 * collecting what the command line writes.
 */
export function memoryIO(options: { tty?: boolean; answer?: string; env?: NodeJS.ProcessEnv } = {}): {
  io: CliIO;
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  // A Writable whose callback runs at once keeps every write in order and visible as soon as
  // runCli resolves, with no tick to wait for.
  const collect = (append: (text: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const stdout = Object.assign(
    collect((text) => (out += text)),
    { isTTY: options.tty === true },
  );
  const stderr = Object.assign(
    collect((text) => (err += text)),
    { isTTY: options.tty === true },
  );
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty === true });
  stdin.end(options.answer === undefined ? undefined : `${options.answer}\n`);
  return { io: { stdout, stderr, stdin, env: options.env ?? {} }, out: () => out, err: () => err };
}

/**
 * Runs the `larder` command line in this process, as the bin does but without a process of its
 * own: stdin is not a terminal, and the environment is `env` alone.
 */
export async function larderInProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  const { io, out, err } = memoryIO({ env });
  const code = await runCli(args, io);
  return { code, stdout: out(), stderr: err() };
}
