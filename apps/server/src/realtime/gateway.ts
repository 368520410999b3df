import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES, WS_PATH } from '@parley/protocol';
import type { Services } from '../services.ts';
import type { Hub } from './hub.ts';
import { ReadGate } from './read-gate.ts';
import { Session, type SessionOptions } from './session.ts';

/** Accepts WebSocket upgrades on WS_PATH and makes a Session of each. */
export class Gateway {
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<Session>();
  readonly #pinger: NodeJS.Timeout;
  readonly #readGate = new ReadGate();

  constructor(server: Server, services: Services, hub: Hub, opts: SessionOptions) {
    // Frames up to 4x the limit are read and answered with payload_too_large; larger ones close.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxFrameBytes * 4, perMessageDeflate: false, clientTracking: false });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH) {
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        const session = new Session(ws, services, hub, opts, this.#readGate);
        this.#sessions.add(session);
        ws.on('close', () => this.#sessions.delete(session));
      });
    });
    // One timer for all connections (not one per socket): dead links (no FIN, e.g. a phone that
    // lost its network) are found within two ping periods.
    this.#pinger = setInterval(() => {
      for (const session of this.#sessions) session.heartbeat();
    }, opts.pingIntervalMs);
    this.#pinger.unref();
  }

  get connections(): number {
    return this.#sessions.size;
  }

  /** Tells every client to reconnect elsewhere/later, then closes. */
  async close(): Promise<void> {
    clearInterval(this.#pinger);
    for (const session of this.#sessions) session.close(CLOSE_CODES.shutting_down, 'server shutting down');
    this.#sessions.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
