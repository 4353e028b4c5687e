import { expect } from 'chai';
import { progressLine, runCli } from '../../lib/cli/run.js';
import { formatBytes, formatDuration, toJson } from '../../lib/cli/format.js';
import { cliLog, describeFailure } from '../../lib/cli/report.js';
import { BackendError, ConfigError } from '../../lib/errors.js';
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
    expect(right.out()).to.equal('cleared 0 keys of namespace "n"\n');
  });

  it('shows a progress line on stderr only when stderr is a terminal, and wipes it', function () {
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

  it('prints each library log record as one human line, at LARDER_LOG_LEVEL (default warn)', function () {
    let text = '';
    const sink = { write: (line: string) => (text += line) };
    const { logger } = cliLog(sink, {});
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390\nsecond line'), {
      code: 'ECONNREFUSED',
    });
    logger.child({ alias: 'a' }).child({ backend: 'redis' }).warn({ err }, 'redis connection error');
    logger.error({ key: 'user:1', err: new Error('bad') }, 'stored payload could not be read');
    logger.info('redis connection ready again');
    logger.debug('quiet');
    expect(text).to.equal(
      'larder: warning: redis connection error: connect ECONNREFUSED 127.0.0.1:6390 second line\n' +
        'larder: error: stored payload could not be read (key user:1): bad\n',
    );

    text = '';
    cliLog(sink, { LARDER_LOG_LEVEL: 'info' }).logger.info('redis connection ready again');
    cliLog(sink, { LARDER_LOG_LEVEL: 'silent' }).logger.error('never shown');
    cliLog(sink, { LARDER_LOG_LEVEL: 'loud' });
    expect(text).to.equal(
      'larder: info: redis connection ready again\n' +
        'larder: warning: unknown LARDER_LOG_LEVEL; using "warn"\n',
    );
  });

  it('describes a failure in one line: causes and system codes, no stack, no repeats', function () {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
    const failed = new BackendError('get', 'redis', refused);
    // The cause is in the message already, and so is its code: neither is said twice.
    expect(describeFailure(failed, undefined)).to.equal(
      'redis backend failed during get: connect ECONNREFUSED 127.0.0.1:6390',
    );
    expect(describeFailure(failed, 'redis at 127.0.0.1:6390 (ECONNREFUSED)')).to.equal(
      'cannot reach redis at 127.0.0.1:6390 (ECONNREFUSED)',
    );
    const lost = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(describeFailure(new Error('write failed', { cause: lost }), undefined)).to.equal(
      'write failed: socket hang up (ECONNRESET)',
    );
    expect(describeFailure(new ConfigError('caches.x: bad\nthing'), undefined)).to.equal(
      'config error: caches.x: bad thing',
    );
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
