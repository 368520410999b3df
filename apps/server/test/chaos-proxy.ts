import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ChaosOptions {
  /** Extra delay per chunk, ms (uniform in [0, maxDelayMs]); order is kept. */
  maxDelayMs: number;
  /** Probability per chunk that the connection is cut right there. */
  cutProbability: number;
  /** Every `stallEveryMs` on average, one connection stops forwarding for `stallMs`. */
  stallMs: number;
}

/**
 * A TCP proxy for tests that makes a bad network: delayed chunks, connections cut mid-stream,
 * stalls. Loopback only; it stops with close().
 */
export class ChaosProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  cuts = 0;
  port = 0;
  enabled = true;

  constructor(private readonly upstreamPort: number, private readonly opts: ChaosOptions) {
    this.#server = createServer((client) => this.#handle(client));
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    const address = this.#server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return `http://127.0.0.1:${this.port}`;
  }

  #handle(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    this.#pipe(client, upstream, cut);
    this.#pipe(upstream, client, cut);
  }

  #pipe(from: Socket, to: Socket, cut: () => void): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      chain = chain.then(async () => {
        if (!this.enabled) {
          if (!to.destroyed) to.write(chunk);
          return;
        }
        const delay = Math.random() * this.opts.maxDelayMs + (Math.random() < 0.02 ? this.opts.stallMs : 0);
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        if (Math.random() < this.opts.cutProbability) {
          this.cuts += 1;
          cut();
          return;
        }
        if (!to.destroyed) to.write(chunk);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
