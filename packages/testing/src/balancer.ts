import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A round-robin TCP load balancer for cluster tests, like the one in front of real nodes: each new
 * connection goes to the next backend that accepts it; a dead backend is skipped. Existing
 * connections to a node that dies are cut, and the clients' reconnects land on the living nodes.
 */
export class TcpBalancer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #next = 0;
  port = 0;

  private constructor(readonly backends: number[]) {
    this.#server = createServer((client) => this.#route(client, 0));
  }

  static async start(backends: number[]): Promise<TcpBalancer> {
    const lb = new TcpBalancer(backends);
    await new Promise<void>((resolve) => lb.#server.listen(0, '127.0.0.1', resolve));
    const address = lb.#server.address();
    lb.port = typeof address === 'object' && address ? address.port : 0;
    return lb;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  #route(client: Socket, attempt: number): void {
    if (attempt >= this.backends.length) {
      client.destroy();
      return;
    }
    const port = this.backends[this.#next++ % this.backends.length]!;
    client.pause();
    const upstream = connect(port, '127.0.0.1');
    let connected = false;
    // A backend that refuses is skipped: the client is handed to the next one (as a real balancer
    // with retries does); an error after connecting cuts both sides.
    upstream.once('error', () => {
      if (!connected) this.#route(client, attempt + 1);
    });
    upstream.once('connect', () => {
      connected = true;
      this.#sockets.add(client);
      this.#sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const cut = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on('close', cut).on('error', cut);
      upstream.on('close', cut).on('error', cut);
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
