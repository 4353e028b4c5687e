import { expect } from 'chai';
import { Redis } from 'ioredis';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../lib/cli/run.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { larderInProcess as larder, memoryIO } from '../support/cli.js';
import { sharedRedis } from '../support/redis-fixtures.js';
import { freePort } from '../support/redis-server.js';
import { ROOT, run } from '../support/run.js';

/** Runs the real `larder` bin from source in a process of its own, as `npm run larder -- …` does. */
const larderBin = (args: readonly string[]) =>
  run(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args]);

/**
 * Whether a duration as the CLI shows it (`59 s`, `59 m 59 s`, `1 h`) is the ttl left on a key set
 * with `ttlMs` and read at most `elapsedMs` later: the text floors to its smallest unit shown (a
 * second at these sizes), so it lies in (ttlMs - elapsedMs - 1 s, ttlMs].
 */
function ttlShownFits(text: string, ttlMs: number, elapsedMs: number): boolean {
  const unit: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };
  const parts = [...text.matchAll(/(\d+) (d|h|m|s)\b/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join(' ') !== text) return false;
  const shown = parts.reduce((sum, [, count, name]) => sum + Number(count) * unit[name!]!, 0);
  return shown <= ttlMs && shown > ttlMs - elapsedMs - 1_000;
}

// Each case runs the command line in process through runCli (with its own stdout, stderr, stdin
// and environment), so a case costs no Node start-up; two cases run the real bin.
describe('the larder command line, against a real Redis', function () {
  this.timeout(30_000);
  let dir: string;
  let config: string;
  let admin: Redis;

  before(async function () {
    const server = await sharedRedis();
    dir = mkdtempSync(join(tmpdir(), 'larder-cli-'));
    config = join(dir, 'larder.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        sessions: `${server.url}/13?namespace=sess`,
        packed: {
          backend: { type: 'redis', url: `${server.url}/13` },
          serializer: 'msgpack',
          namespace: 'packed',
        },
      }),
    );
    admin = new Redis({ port: server.port, db: 13 });
  });

  beforeEach(async function () {
    await admin.flushdb();
  });

  after(function () {
    admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('set, get (human and --json), delete, with exit codes 0 and 1', async function () {
    const setAt = Date.now();
    const set = await larder([
      'set',
      'sessions',
      'user:1',
      '{"name":"Ada","roles":["admin"]}',
      '--ttl',
      '10m',
      '--config',
      config,
    ]);
    expect(set).to.include({ code: 0, stdout: 'OK\n' });
    expect(await admin.get('sess:user:1')).to.equal('{"name":"Ada","roles":["admin"]}');

    const human = await larder(['get', 'sessions', 'user:1', '--config', config]);
    expect(human.code).to.equal(0);
    expect(human.stdout).to.match(/\{ name: 'Ada', roles: \[ 'admin' \] \}\nttl: (9|10) m/);

    const json = await larder(['get', 'sessions', 'user:1', '--json', '--config', config]);
    const elapsed = Date.now() - setAt;
    const parsed = JSON.parse(json.stdout) as { value: unknown; ttlMs: number; found: boolean };
    expect(parsed).to.include({ found: true });
    expect(parsed.value).to.deep.equal({ name: 'Ada', roles: ['admin'] });
    // The 10 m set, less no more than has passed since (a slow machine takes longer, never less).
    expect(parsed.ttlMs, `ttl ${elapsed} ms after the set`).to.be.within(600_000 - elapsed, 600_000);

    expect(await larder(['delete', 'sessions', 'user:1', '--config', config])).to.include({ code: 0 });
    expect(await larder(['delete', 'sessions', 'user:1', '--config', config])).to.include({ code: 1 });
  });

  it('a missing key: "(not found)" goes to stderr, stdout stays empty, exit 1 (get and delete)', async function () {
    expect(await larder(['get', 'sessions', 'nobody', '--config', config])).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: '(not found) nobody\n',
    });
    expect(await larder(['delete', 'sessions', 'nobody', '--config', config])).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: '(not found) nobody\n',
    });
    // --json is one document on stdout for every outcome, this one included.
    const json = await larder(['get', 'sessions', 'nobody', '--json', '--config', config]);
    expect(json).to.include({ code: 1, stderr: '' });
    expect(JSON.parse(json.stdout)).to.deep.equal({ alias: 'sessions', key: 'nobody', found: false });
  });

  it('decodes values with the alias serializer', async function () {
    await larder(['set', 'packed', 'when', '{"at":"2026-11-21"}', '--config', config]);
    const raw = await admin.getBuffer('packed:when');
    expect(raw![0]).to.equal(0x81); // a msgpack map of one entry, not JSON text
    const got = await larder(['get', 'packed', 'when', '--config', config]);
    expect(got.stdout).to.contain("{ at: '2026-11-21' }");
  });

  it('keys lists a namespace with SCAN, never KEYS, with an optional glob', async function () {
    await admin.mset('sess:a:1', '1', 'sess:a:2', '2', 'sess:b:1', '3', 'other:a:1', '4');
    await admin.config('RESETSTAT');
    const all = await larder(['keys', 'sessions', '--config', config]);
    expect(all.stdout.trim().split('\n').sort()).to.deep.equal(['a:1', 'a:2', 'b:1']);
    const some = await larder(['keys', 'sessions', 'a:*', '--json', '--count', '1', '--config', config]);
    expect((JSON.parse(some.stdout) as { keys: string[] }).keys.sort()).to.deep.equal(['a:1', 'a:2']);
    const stats = await admin.info('commandstats');
    expect(stats).to.match(/cmdstat_scan:/);
    expect(stats).not.to.match(/cmdstat_keys:/);
  });

  it('clear refuses without --yes when not at a terminal, and clears only the namespace with it', async function () {
    await admin.mset('sess:a', '1', 'other:b', '2');
    const refused = await larder(['clear', 'sessions', '--config', config]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.match(/add --yes/);
    expect(await admin.dbsize()).to.equal(2);
    expect(await larder(['clear', 'sessions', '--yes', '--config', config])).to.deep.equal({
      code: 0,
      stdout: 'cleared 1 key of namespace "sess"\n',
      stderr: '',
    });
    expect(await admin.keys('*')).to.deep.equal(['other:b']);
  });

  it('clear says how many keys it removed from a namespace, every version of it, with --json too', async function () {
    const server = await sharedRedis();
    const versioned = join(dir, 'versioned.json');
    writeFileSync(
      versioned,
      JSON.stringify({
        sessions: `${server.url}/13?namespace=sess`,
        v2: { backend: { type: 'redis', url: `${server.url}/13` }, namespace: 'ver', version: 2 },
      }),
    );
    await admin.mset('sess:a', '1', 'sess:b', '2', 'sess:c', '3', 'other:d', '4');
    const human = await larder(['clear', 'sessions', '--yes', '--count', '1', '--config', versioned]);
    expect(human).to.deep.equal({ code: 0, stdout: 'cleared 3 keys of namespace "sess"\n', stderr: '' });
    // As clear() does, a versioned alias clears its whole namespace, not only its own version.
    await admin.mset('ver:1:a', '1', 'ver:2:b', '2', 'ver:c', '3');
    const json = await larder(['clear', 'v2', '--yes', '--json', '--config', versioned]);
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal({
      alias: 'v2',
      cleared: true,
      scope: 'namespace',
      namespace: 'ver',
      removed: 3,
    });
    expect(await admin.keys('*')).to.deep.equal(['other:d']);
  });

  it('clear of an alias with no namespace says it emptied the whole store', async function () {
    const server = await sharedRedis();
    await admin.mset('a', '1', 'b', '2');
    expect(await larder(['clear', '--url', `${server.url}/13`, '--yes'])).to.deep.equal({
      code: 0,
      stdout: "cleared the whole redis store (every key in it, not only larder's; not counted)\n",
      stderr: '',
    });
    expect(await admin.dbsize()).to.equal(0);
  });

  it('clear shows its progress on stderr at a terminal, page by page, and wipes it', async function () {
    const server = await sharedRedis();
    await admin.mset('sess:a', '1', 'sess:b', '2', 'sess:c', '3');
    const terminal = memoryIO({ tty: true, answer: 'url' });
    const code = await runCli(
      ['clear', '--url', `${server.url}/13?namespace=sess`, '--count', '1'],
      terminal.io,
    );
    expect(code, terminal.err()).to.equal(0);
    expect(terminal.out()).to.equal('cleared 3 keys of namespace "sess"\n');
    // SCAN may hand back pages of any size (COUNT is a hint), so check the running total grows to 3.
    const shown = [...terminal.err().matchAll(/\rremoved (\d+) keys?…/g)].map(([, n]) => Number(n));
    expect(shown.at(-1), terminal.err()).to.equal(3);
    expect(shown).to.deep.equal([...shown].sort((a, b) => a - b));
    expect(terminal.err().endsWith('\r\x1b[K'), terminal.err()).to.equal(true);
  });

  it('info reports backend, namespace, key count, bytes and ttl spread', async function () {
    const setAt = Date.now();
    await admin.set('sess:forever', '"x"');
    await admin.set('sess:short', '"yy"', 'PX', 60_000);
    await admin.set('sess:long', '"zzz"', 'PX', 3_600_000);
    const human = await larder(['info', 'sessions', '--config', config]);
    const elapsed = Date.now() - setAt;
    expect(human.code).to.equal(0);
    expect(human.stdout).to.match(/backend +redis \(serializer json\)/);
    expect(human.stdout).to.match(/namespace +sess/);
    expect(human.stdout).to.match(/keys +3/);
    expect(human.stdout).to.match(/bytes +~\d+ B/);
    // The ttls shown are those of the keys as set, less however long this took (a loaded machine
    // can take over a second): the 60 s key shows as 59 s, or 58 s a second later.
    const ttl = /^ttl +min (.+), median (.+), max (.+); 1 of 3 sampled never expire$/m.exec(human.stdout);
    expect(ttl, human.stdout).not.to.equal(null);
    const [, min = '', median = '', max = ''] = ttl ?? [];
    expect(ttlShownFits(min, 60_000, elapsed), `min ${min} after ${elapsed} ms`).to.equal(true);
    expect(ttlShownFits(median, 3_600_000, elapsed), `median ${median} after ${elapsed} ms`).to.equal(true);
    expect(ttlShownFits(max, 3_600_000, elapsed), `max ${max} after ${elapsed} ms`).to.equal(true);
    const infoJson = await larder(['info', 'sessions', '--json', '--config', config]);
    const elapsedJson = Date.now() - setAt;
    const json = JSON.parse(infoJson.stdout) as {
      keys: number;
      approximateBytes: number;
      ttl: { noExpiry: number; minMs: number; maxMs: number };
    };
    expect(json.keys).to.equal(3);
    expect(json.approximateBytes).to.equal(3 + 4 + 5);
    expect(json.ttl.noExpiry).to.equal(1);
    expect(json.ttl.minMs).to.be.within(60_000 - elapsedJson, 60_000);
    expect(json.ttl.maxMs).to.be.within(3_600_000 - elapsedJson, 3_600_000);
  });

  it('ping answers, through a config file, LARDER_CONFIG or --url', async function () {
    const server = await sharedRedis();
    expect((await larder(['ping', 'sessions', '--config', config])).stdout).to.match(
      /^PONG from sessions \(redis\) in [\d.]+ ms\n$/,
    );
    expect((await larder(['ping', 'sessions'], { LARDER_CONFIG: config })).code).to.equal(0);
    const viaUrl = await larder(['ping', '--url', `${server.url}/13`]);
    expect(viaUrl.code, viaUrl.stderr).to.equal(0);
    expect((await larder(['get', 'k', '--url', `${server.url}/13`])).code).to.equal(1);
  });

  it('exits 2 with a clear message for a bad alias, config, URL or usage', async function () {
    const badAlias = await larder(['get', 'sesions', 'k', '--config', config]);
    expect(badAlias.code).to.equal(2);
    expect(badAlias.stderr).to.contain('unknown cache alias "sesions"; known: default, sessions, packed');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ s: { serializer: 'mspack' } }));
    const badConfig = await larder(['ping', 's', '--config', join(dir, 'bad.json')]);
    expect(badConfig.code).to.equal(2);
    expect(badConfig.stderr).to.contain('caches.s.serializer: unknown serializer "mspack"');
    const badUrl = await larder(['ping', '--url', 'redis://h?nmespace=x']);
    expect(badUrl.code).to.equal(2);
    expect(badUrl.stderr).to.contain('unknown Redis URL parameter "nmespace"');
    expect((await larder(['frobnicate'])).code).to.equal(2);
    expect((await larder(['get', 'sessions', '--config', config])).stderr).to.contain(
      'get takes <alias> <key>',
    );
    expect((await larder(['set', 'sessions', 'k', 'not json', '--config', config])).stderr).to.contain(
      'must be JSON',
    );
    expect((await larder(['--help'])).stdout).to.contain('Exit codes: 0 ok, 1 not found, 2 error.');
  });

  it('with no config found, the error says to pass --config <file> or set LARDER_CONFIG', async function () {
    const none = await larder(['get', 'sessions', 'k'], {});
    expect(none.code).to.equal(2);
    expect(none.stderr).to.contain('unknown cache alias "sessions"; known: default');
    expect(none.stderr).to.contain('--config <file>');
    expect(none.stderr).to.contain('LARDER_CONFIG');
    // A config that was found but lacks the alias is a plain typo: no hint about finding one.
    const found = await larder(['get', 'sesions', 'k', '--config', config]);
    expect(found.stderr).not.to.contain('LARDER_CONFIG');
  });

  it('an unknown flag is one line with balanced quotes and the closest flag', async function () {
    const typo = await larder(['get', 'sessions', 'k', '--jsn', '--config', config]);
    expect(typo.code).to.equal(2);
    expect(typo.stdout).to.equal('');
    const lines = typo.stderr.split('\n').filter((line) => line !== '');
    expect(lines, typo.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^larder: unknown option "--jsn"; did you mean "--json"\?/);
    for (const quote of ['"', "'"]) {
      expect(lines[0]!.split(quote).length % 2, `${quote} in ${lines[0]}`).to.equal(1);
    }
  });

  it('--version and -V print the version in package.json', async function () {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await larder(['--version'])).to.deep.equal({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await larder(['-V'])).to.deep.equal({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('at a terminal, an unreachable Redis is human lines: the library warning, then the error', async function () {
    const port = await freePort();
    const terminal = memoryIO({ tty: true });
    const code = await runCli(['ping', '--url', `redis://127.0.0.1:${port}/0`], terminal.io);
    expect(code).to.equal(2);
    expect(terminal.out()).to.equal('');
    const lines = terminal
      .err()
      .split('\n')
      .filter((line) => line !== '');
    for (const line of lines) {
      expect(line, terminal.err()).to.match(/^larder: /);
      expect(line, terminal.err()).not.to.match(/^\s*at |"level"|\{"/);
    }
    expect(lines[0]).to.match(/^larder: warning: redis connection error; .*ECONNREFUSED/);
    expect(lines.at(-1)).to.equal(`larder: cannot reach redis at 127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('keys and info give up at the time limit against a server that never answers', async function () {
    // A listener that accepts and never answers: the connection opens, no reply ever comes.
    const proxy = await TcpProxy.start((await sharedRedis()).port);
    proxy.blackhole();
    try {
      const url = `redis://127.0.0.1:${proxy.port}/13`;
      const runs = await Promise.all([larder(['keys', '--url', url]), larder(['info', '--url', url])]);
      for (const run of runs) {
        expect(run.code, run.stderr).to.equal(2);
        expect(run.stderr, run.stderr).to.match(/timed out after 5000 ms/);
      }
    } finally {
      await proxy.close();
    }
  });

  it('the real bin: --version reads package.json from where the bin is', async function () {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await larderBin(['-V'])).to.include({ code: 0, stdout: `${version}\n` });
  });

  it('the real bin: set writes the value and exits 0 with OK on stdout', async function () {
    const set = await larderBin(['set', 'sessions', 'user:2', '{"name":"Grace"}', '--config', config]);
    expect(set, set.stderr).to.include({ code: 0, stdout: 'OK\n' });
    expect(await admin.get('sess:user:2')).to.equal('{"name":"Grace"}');
  });

  // In a process of its own, this also shows that a failed connection leaves nothing that keeps
  // the process alive: it exits.
  it('the real bin: exits 2 when Redis is unreachable, within the timeout', async function () {
    const down = await larderBin(['ping', '--url', 'redis://127.0.0.1:1/0']);
    expect(down.code).to.equal(2);
    // Not a terminal here: the same one-line messages, never a pino JSON record with a stack.
    const lines = down.stderr.split('\n').filter((line) => line !== '');
    for (const line of lines) expect(line, down.stderr).to.match(/^larder: [^{]*$/);
    expect(lines.at(-1)).to.equal('larder: cannot reach redis at 127.0.0.1:1 (ECONNREFUSED)');
  });
});
