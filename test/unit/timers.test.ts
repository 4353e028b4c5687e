import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/pending-operations.ts', import.meta.url));

describe('timers', function () {
  this.timeout(20_000);
  let child: ChildProcess | undefined;

  afterEach(function () {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('never keep the process alive (operation time limits and the expiry sweep)', async function () {
    const running = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = running;
    let output = '';
    // The fixture leaves timers of an hour behind, so a child they kept alive would still be
    // running long after this. The count starts once it has scheduled them, not at the spawn: how
    // long Node and tsx take to start on a loaded machine is no part of the check.
    let killer: NodeJS.Timeout | undefined;
    running.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (killer === undefined && output.includes('scheduled\n')) {
        killer = setTimeout(() => running.kill('SIGKILL'), 10_000);
      }
    });
    const code = await new Promise<number | null>((resolve) => running.on('exit', resolve));
    clearTimeout(killer);
    expect(output).to.equal('scheduled\n');
    expect(code, 'the child had to be killed: a timer kept it alive').to.equal(0);
  });
});
