import WebSocket from 'ws';
import type { WebSocketCtor, WebSocketLike } from '@parley/client';

/** What a test sees and decides of one client's socket traffic (tappedWebSocket). */
export interface SocketTap {
  /**
   * Each frame the client sends: pass it on with `out()` (now or later; `out(other)` sends other bytes
   * instead, as a modified client would), answer it with `reply(frame)` as the server would, or drop it.
   * Default: passed on.
   */
  send?(data: string, io: { out(instead?: string): void; reply(data: string): void }): void;
  /** Each frame from the server, before the client handles it. */
  heard?(data: string): void;
  /** Each frame from the server: true loses it (the client never sees it, as if the server had not sent it). */
  drop?(data: string): boolean;
  /** Each frame from the server, after the client handled it. */
  handled?(data: string): void;
}

/** A WebSocket class (for ClientOptions.WebSocket, over `ws`) whose traffic the tap sees and steers. */
export function tappedWebSocket(tap: SocketTap): WebSocketCtor {
  return class implements WebSocketLike {
    onopen: ((ev: unknown) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    readonly #ws: WebSocket;

    constructor(url: string) {
      const ws = (this.#ws = new WebSocket(url));
      ws.onopen = (ev) => this.onopen?.(ev);
      ws.onclose = (ev) => this.onclose?.(ev);
      ws.onerror = (ev) => this.onerror?.(ev);
      ws.onmessage = (ev) => {
        const data = String(ev.data);
        tap.heard?.(data);
        if (tap.drop?.(data)) return;
        this.onmessage?.({ data });
        tap.handled?.(data);
      };
    }

    get readyState(): number {
      return this.#ws.readyState;
    }

    send(data: string): void {
      if (!tap.send) return this.#ws.send(data);
      tap.send(data, { out: (instead) => this.#ws.send(instead ?? data), reply: (answer) => this.onmessage?.({ data: answer }) });
    }

    close(code?: number, reason?: string): void {
      this.#ws.close(code, reason);
    }
  };
}
