import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/pending-operations.ts', import.meta.url));

describe('timers', function () {
  this.timeout(20_000);

  it('never keep the process alive (operation time limits and the expiry sweep)', async function () {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(killer);
    expect(output).to.equal('scheduled\n');
    expect(code, 'the child had to be killed: a timer kept it alive').to.equal(0);
    expect(Date.now() - started).to.be.below(15_000);
  });
});
