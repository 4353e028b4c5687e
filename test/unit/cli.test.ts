import { expect } from 'chai';
import { progressLine, runCli } from '../../lib/cli/run.js';
import { formatBytes, formatDuration, toJson } from '../../lib/cli/format.js';
import { memoryIO } from '../support/cli.js';

/** In-memory streams standing in for a terminal (or not). */
const terminal = (answer: string | undefined, tty: boolean) => memoryIO({ tty, answer });

describe('the larder command line (in process)', function () {
  it('clear at a terminal asks, and clears only when the alias is typed back', async function () {
    const wrong = terminal('yes', true);
    expect(await runCli(['clear', '--url', 'memory://?namespace=n'], wrong.io)).to.equal(2);
    expect(wrong.err()).to.contain('Type the alias to confirm');
    expect(wrong.err()).to.contain('not confirmed; nothing removed');
    const right = terminal('url', true);
    expect(await runCli(['clear', '--url', 'memory://?namespace=n'], right.io)).to.equal(0);
    expect(right.out()).to.equal('cleared namespace "n"\n');
  });

  it('shows a progress line on stderr only when stdout is a terminal, and wipes it', function () {
    const watched = terminal(undefined, true);
    const live = progressLine(watched.io);
    live.add(1_000);
    live.add(500);
    live.clear();
    expect(watched.err()).to.equal('\rscanned 1000 keys…\rscanned 1500 keys…\r\x1b[K');
    const piped = terminal(undefined, false);
    const quiet = progressLine(piped.io);
    quiet.add(1_000);
    quiet.clear();
    expect(piped.err()).to.equal('');
  });

  it('formats durations, sizes and non-JSON values for people and scripts', function () {
    expect(formatDuration(950)).to.equal('950 ms');
    expect(formatDuration(90_061_000)).to.equal('1 d 1 h');
    expect(formatDuration(Infinity)).to.equal('never expires');
    expect(formatBytes(512)).to.equal('512 B');
    expect(formatBytes(1_536)).to.equal('1.5 KiB');
    expect(
      toJson({ big: 1n, map: new Map([[1, 'a']]), set: new Set([1]), bytes: new Uint8Array([1]) }),
    ).to.equal('{"big":"1","map":{"1":"a"},"set":[1],"bytes":"AQ=="}');
  });
});
