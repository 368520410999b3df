import { createSocket, type Socket } from 'node:dgram';

/**
 * A UDP relay with bursty loss: a two-state Gilbert-Elliott model per direction and per flow
 * (Good: nothing lost; Bad: every packet lost), stepped once per packet. With average loss `loss`
 * and mean burst `burst` packets: P(Bad→Good) = 1/burst, P(Good→Bad) = loss/(1-loss)·P(Bad→Good).
 * Put between a browser and its TURN server: the browser's TURN URL names the relay.
 */
export class GilbertElliottRelay {
  readonly #front: Socket;
  readonly #flows = new Map<string, { back: Socket; up: Chain; down: Chain }>();
  readonly counts = { forwarded: 0, dropped: 0 };

  private constructor(front: Socket, readonly port: number, readonly target: { host: string; port: number }, readonly loss: number, readonly burst: number, readonly rng: () => number) {
    this.#front = front;
  }

  static async start(opts: { host: string; target: { host: string; port: number }; loss: number; burst: number; rng?: () => number }): Promise<GilbertElliottRelay> {
    const front = createSocket('udp4');
    await new Promise<void>((resolve) => front.bind(0, opts.host, resolve));
    const relay = new GilbertElliottRelay(front, front.address().port, opts.target, opts.loss, opts.burst, opts.rng ?? Math.random);
    front.on('message', (msg, from) => relay.#fromClient(msg, from.address, from.port));
    return relay;
  }

  #fromClient(msg: Buffer, host: string, port: number): void {
    const key = `${host}:${port}`;
    let flow = this.#flows.get(key);
    if (!flow) {
      const back = createSocket('udp4');
      back.bind(0, this.target.host);
      const created = { back, up: this.#chain(), down: this.#chain() };
      back.on('message', (reply) => this.#pass(created.down, () => this.#front.send(reply, port, host)));
      this.#flows.set(key, created);
      flow = created;
    }
    const back = flow.back;
    this.#pass(flow.up, () => back.send(msg, this.target.port, this.target.host));
  }

  #chain(): Chain {
    const toGood = 1 / this.burst;
    return { bad: false, toBad: (this.loss / (1 - this.loss)) * toGood, toGood };
  }

  #pass(chain: Chain, send: () => void): void {
    chain.bad = chain.bad ? this.rng() >= chain.toGood : this.rng() < chain.toBad;
    if (chain.bad) { this.counts.dropped++; return; }
    this.counts.forwarded++;
    send();
  }

  close(): void {
    for (const f of this.#flows.values()) f.back.close();
    this.#front.close();
  }
}

interface Chain { bad: boolean; toBad: number; toGood: number }
