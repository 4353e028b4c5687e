import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a real server, to inject network faults into real
 * connections: a lost reply, a reset, a blackhole. It forwards bytes as they come and knows
 * nothing of the protocol, except that {@link TcpProxy.loseReplyTo} looks for a byte pattern in
 * what the client sends.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  // Connections accepted while black-holed: held open, never answered, closed by resetAll().
  readonly #held = new Set<Socket>();
  #blackhole = false;
  #loseReply: { pattern: string; lost: () => void } | undefined;
  #holdReply: { pattern: string; held: (release: () => void) => void } | undefined;
  /** How many client connections the proxy has accepted. */
  connections = 0;

  private constructor(
    server: Server,
    readonly port: number,
  ) {
    this.#server = server;
  }

  /** Starts a proxy on a free loopback port that forwards to `127.0.0.1:targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP port');
    const proxy = new TcpProxy(server, address.port);
    server.on('connection', (client) => proxy.#accept(client, targetPort));
    return proxy;
  }

  /**
   * Lets the next client bytes containing `pattern` (ASCII, any case) through to the server, waits for the server's
   * reply, and then, instead of forwarding it, drops the connection (both sides). Resolves once
   * that happened: the server ran the command, and the client never heard.
   */
  loseReplyTo(pattern: string): Promise<void> {
    return new Promise((resolve) => {
      this.#loseReply = { pattern: pattern.toLowerCase(), lost: resolve };
    });
  }

  /**
   * Lets the next client bytes containing `pattern` (ASCII, any case) through to the server, and
   * holds the server's reply on that connection (and whatever follows it there) until the
   * function it resolves to is called. Resolves once the reply has arrived and is held: the
   * server ran the command, and the client has not heard yet. Other connections flow as before.
   */
  holdReplyTo(pattern: string): Promise<() => void> {
    return new Promise((resolve) => {
      this.#holdReply = { pattern: pattern.toLowerCase(), held: resolve };
    });
  }

  /** Accepts connections but forwards nothing either way, from now on, until `heal()`. */
  blackhole(): void {
    this.#blackhole = true;
  }

  /** Forwards again (connections made while black-holed stay dead). */
  heal(): void {
    this.#blackhole = false;
  }

  /** Resets every open connection. */
  resetAll(): void {
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.#pairs.clear();
    for (const client of this.#held) client.resetAndDestroy();
    this.#held.clear();
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, targetPort: number): void {
    this.connections++;
    client.on('error', () => undefined);
    if (this.#blackhole) {
      this.#held.add(client);
      client.on('close', () => this.#held.delete(client));
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    const pair = { client, upstream };
    this.#pairs.add(pair);
    // A command the client sent whose reply is to be lost: the next server bytes after it.
    let losing: (() => void) | undefined;
    // A command whose reply is to be held, and the server bytes held since it arrived.
    let holding: ((release: () => void) => void) | undefined;
    let held: Buffer[] | undefined;
    client.on('data', (chunk: Buffer) => {
      if (this.#blackhole) return;
      const hold = this.#holdReply;
      if (hold !== undefined && chunk.toString('latin1').toLowerCase().includes(hold.pattern)) {
        this.#holdReply = undefined;
        holding = hold.held;
      }
      const lose = this.#loseReply;
      if (lose !== undefined && chunk.toString('latin1').toLowerCase().includes(lose.pattern)) {
        this.#loseReply = undefined;
        losing = lose.lost;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.#blackhole) return;
      if (held !== undefined) {
        held.push(chunk);
        return;
      }
      if (holding !== undefined) {
        const reply = holding;
        holding = undefined;
        held = [chunk];
        reply(() => {
          const chunks = held ?? [];
          held = undefined;
          for (const part of chunks) client.write(part);
        });
        return;
      }
      if (losing !== undefined) {
        const lost = losing;
        losing = undefined;
        this.#pairs.delete(pair);
        client.resetAndDestroy();
        upstream.destroy();
        lost();
        return;
      }
      client.write(chunk);
    });
  }
}
