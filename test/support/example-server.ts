import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './run.js';

/** An example server started as users start it (tsx, PORT=0), and its base URL once it listens. */
export function startExample(
  file: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; base: string; banner: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LARDER_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match !== null) resolve({ child, base: match[1]!, banner: output.trim() });
    });
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}: ${output}`)));
  });
}

/** Stops an example with SIGTERM, as a process manager would, and resolves with its exit code. */
export async function stopExample(child: ChildProcess): Promise<number | null> {
  child.removeAllListeners('exit');
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}
