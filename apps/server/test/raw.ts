import WebSocket from 'ws';
import { WS_PATH, accountsLogin } from './raw-login.ts';

/** A raw WebSocket peer for tests that speak the protocol by hand (bad input, authorization). */
export class RawPeer {
  readonly frames: Record<string, unknown>[] = [];
  closeCode: number | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    ws.on('close', (code) => (this.closeCode = code));
  }

  static async open(baseUrl: string): Promise<RawPeer> {
    const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + WS_PATH);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new RawPeer(ws);
  }

  static async authed(baseUrl: string, deviceId: string, sign: (d: Uint8Array) => Promise<Uint8Array>): Promise<RawPeer> {
    const token = await accountsLogin(baseUrl, deviceId, sign);
    const peer = await RawPeer.open(baseUrl);
    peer.send({ type: 'auth', v: 1, token });
    await peer.next((f) => f['type'] === 'auth_ok');
    return peer;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async next(match: (f: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0] as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async request(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.send(frame);
    return this.next((f) => f['rid'] === frame['rid']);
  }

  close(): void {
    this.ws.close();
  }
}
