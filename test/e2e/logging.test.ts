import { expect } from 'chai';
import { runTs } from '../support/run.js';

describe('the default logger', function () {
  this.timeout(30_000);

  it('writes structured pino JSON to stderr at the default level, warn', async function () {
    const { code, stdout, stderr } = await runTs('test/fixtures/safe-mode-warning.ts', [], {
      LARDER_LOG_LEVEL: '',
    });
    expect(code).to.equal(0);
    expect(stdout).to.equal('answer: undefined\n');
    const record = JSON.parse(stderr.trim()) as Record<string, unknown>;
    expect(record).to.include({
      level: 40,
      name: 'larder',
      op: 'get',
      key: 'k',
      backend: 'memory',
      namespace: 'logs',
    });
    expect((record.err as { message: string }).message).to.contain('disk on fire');
  });

  it('follows LARDER_LOG_LEVEL', async function () {
    const quiet = await runTs('test/fixtures/safe-mode-warning.ts', [], { LARDER_LOG_LEVEL: 'error' });
    expect(quiet.code).to.equal(0);
    expect(quiet.stderr).to.equal('');
  });

  it('warns once about an unknown LARDER_LOG_LEVEL and uses warn', async function () {
    const { stderr } = await runTs('test/fixtures/safe-mode-warning.ts', [], { LARDER_LOG_LEVEL: 'chatty' });
    const records = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records[0]).to.include({ level: 40, LARDER_LOG_LEVEL: 'chatty' });
    expect(records[1]).to.include({ level: 40, op: 'get' });
  });
});
