import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL_HINT =
  'redis-server was not found on PATH. The Redis tests need it: install it with ' +
  "`apt-get install -y redis-server` (what .ci/run does), or your platform's package.";

const DIR_PREFIX = 'larder-redis-';

// Every process started here, so none outlives the test run whatever way it ends: on exit, on
// Ctrl-C or a kill, and (for a run that died by SIGKILL) reaped by the next run, below.
const running = new Set<ChildProcess>();
const killAll = (): void => {
  for (const child of running) child.kill('SIGKILL');
};
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills servers left by earlier runs that died without cleaning up (their owner is gone). */
function reapOrphans(): void {
  for (const name of readdirSync(tmpdir()).filter((entry) => entry.startsWith(DIR_PREFIX))) {
    const dir = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (isAlive(owner)) continue;
      const server = Number(readFileSync(join(dir, 'server.pid'), 'utf8'));
      if (isAlive(server) && readFileSync(`/proc/${server}/cmdline`, 'utf8').startsWith('redis-server')) {
        process.kill(server, 'SIGKILL');
      }
    } catch {
      // No pid files (a server that never started) or no /proc: nothing to kill.
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
reapOrphans();

/** Whether a TCP port on 127.0.0.1 can be bound right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A free port (never 6379, the machine's shared server). Cluster nodes also need `port + 10000`
 * free for their bus, so ports are drawn from a range where that stays valid.
 */
export async function freePort(withClusterBus = false): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (port === 6379) continue;
    if ((await portIsFree(port)) && (!withClusterBus || (await portIsFree(port + 10_000)))) return port;
  }
  throw new Error('could not find a free port for redis-server');
}

/** Options for {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** Also listen on a unix socket. */
  readonly unixSocket?: boolean;
  /** Start as a cluster node (`--cluster-enabled yes`). */
  readonly clusterNode?: boolean;
  /** Serve TLS only, with a self-signed certificate made for the run (see `caCertPath`). */
  readonly tls?: boolean;
  /** Start a Sentinel monitoring the master on this port under the name `mymaster`. */
  readonly sentinelFor?: number;
}

/** A `redis-server` process of the test run's own, on a free port, that tests may stop, pause and restart. */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly socketPath: string | undefined;
  /** The self-signed certificate a TLS server presents (also its CA). */
  readonly caCertPath: string | undefined;
  readonly #options: RedisServerOptions;
  #child: ChildProcess | undefined;

  private constructor(port: number, options: RedisServerOptions) {
    this.port = port;
    this.#options = options;
    this.dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
    writeFileSync(join(this.dir, 'owner.pid'), String(process.pid));
    this.socketPath = options.unixSocket ? join(this.dir, 'redis.sock') : undefined;
    this.caCertPath = options.tls ? join(this.dir, 'cert.pem') : undefined;
    if (options.tls) {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          join(this.dir, 'key.pem'),
          '-out',
          this.caCertPath!,
        ],
        { stdio: 'ignore' },
      );
    }
  }

  /** Starts a server and resolves once it accepts connections. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(options.clusterNode), options);
    await server.#spawn();
    return server;
  }

  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Freezes the process (SIGSTOP): connections stay open but nothing is answered. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Thaws a paused process (SIGCONT). */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Kills the process at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    await this.#terminate('SIGKILL');
  }

  /** Starts the process again on the same port (and socket). */
  async restart(): Promise<void> {
    if (this.#child !== undefined) await this.#terminate('SIGKILL');
    await this.#spawn();
  }

  /** Stops the process and removes its directory. */
  async stop(): Promise<void> {
    if (this.#child !== undefined) {
      this.resume();
      await this.#terminate('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(child);
      return;
    }
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    running.delete(child);
  }

  #spawn(): Promise<void> {
    let args: string[];
    let readyMarker = 'Ready to accept connections';
    if (this.#options.sentinelFor !== undefined) {
      const config = join(this.dir, 'sentinel.conf');
      writeFileSync(
        config,
        `port ${this.port}\nbind 127.0.0.1\ndir ${this.dir}\n` +
          `sentinel monitor mymaster 127.0.0.1 ${this.#options.sentinelFor} 1\n`,
      );
      args = [config, '--sentinel'];
      readyMarker = '+monitor master';
    } else {
      args = this.#serverArgs();
    }
    return this.#launch(args, readyMarker);
  }

  #serverArgs(): string[] {
    const args = [
      '--port',
      String(this.#options.tls ? 0 : this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--logfile',
      '',
      '--protected-mode',
      'no',
    ];
    if (this.socketPath !== undefined) args.push('--unixsocket', this.socketPath, '--unixsocketperm', '700');
    if (this.#options.clusterNode) {
      args.push(
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '2000',
      );
    }
    if (this.#options.tls) {
      args.push(
        '--tls-port',
        String(this.port),
        '--tls-cert-file',
        this.caCertPath!,
        '--tls-key-file',
        join(this.dir, 'key.pem'),
        '--tls-ca-cert-file',
        this.caCertPath!,
        '--tls-auth-clients',
        'no',
      );
    }
    return args;
  }

  #launch(args: readonly string[], readyMarker: string): Promise<void> {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    if (child.pid !== undefined) writeFileSync(join(this.dir, 'server.pid'), String(child.pid));
    this.#child = child;
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`redis-server on port ${this.port} did not become ready:\n${output}`));
      }, 15_000);
      child.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        running.delete(child);
        reject(error.code === 'ENOENT' ? new Error(INSTALL_HINT) : error);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server on port ${this.port} exited with ${code}:\n${output}`));
      });
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes(readyMarker)) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.removeAllListeners('exit');
          // Keep draining the pipes so the server never blocks on a full one.
          child.stdout!.resume();
          child.stderr!.resume();
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    });
  }
}

function redisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/** A Redis Cluster of `masters` master processes (no replicas), built with `redis-cli --cluster create`. */
export class RedisCluster {
  readonly nodes: readonly RedisServer[];

  private constructor(nodes: readonly RedisServer[]) {
    this.nodes = nodes;
  }

  static async start(masters = 3): Promise<RedisCluster> {
    const nodes = await Promise.all(
      Array.from({ length: masters }, () => RedisServer.start({ clusterNode: true })),
    );
    const cluster = new RedisCluster(nodes);
    try {
      await redisCli([
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await cluster.#waitUntilHealthy();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…` */
  get url(): string {
    return `redis+cluster://${this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  async #waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(
        this.nodes.map((node) => redisCli(['-p', String(node.port), 'cluster', 'info'])),
      );
      if (states.every((info) => info.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error(`cluster did not become healthy:\n${states.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
