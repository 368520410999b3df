import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLOSE_CODES } from '@parley/protocol';
import { Connection, type ConnectionProblem, type WebSocketLike } from './connection.ts';

/**
 * A server stand-in: every socket answers `auth` with `auth_ok`, then, while `slow` is on, is
 * closed with 4008 at once, as a server does whose next frame (a page, an event) never fits.
 */
function fakeServer() {
  const state = { slow: true, opened: 0 };
  class FakeSocket implements WebSocketLike {
    readyState = 0;
    onopen: ((ev: unknown) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    constructor(_url: string) {
      state.opened += 1;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      }, 1);
    }
    send(data: string): void {
      const frame = JSON.parse(data) as { type: string; rid?: string };
      setTimeout(() => {
        if (frame.type === 'auth') {
          this.onmessage?.({ data: JSON.stringify({ type: 'auth_ok', userId: 'u', deviceId: 'd', chats: [], serverTime: Date.now() }) });
          if (state.slow) setTimeout(() => this.#closed(CLOSE_CODES.slow_consumer, 'slow consumer'), 2);
        } else if (frame.type === 'ping') this.onmessage?.({ data: JSON.stringify({ type: 'pong', rid: frame.rid, serverTime: Date.now() }) });
      }, 1);
    }
    close(): void {
      this.readyState = 3;
    }
    #closed(code: number, reason: string): void {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }
  }
  return { state, ctor: FakeSocket };
}

describe('R40 the SDK never loops on a connection closed as slow', () => {
  it('closed with 4008 right after every auth_ok: the delay grows (auth_ok does not reset it), the problem is said, and a connection that stays up clears it', async () => {
    const server = fakeServer();
    const problems: (ConnectionProblem | undefined)[] = [];
    const conn = new Connection({
      baseUrl: 'http://parley.test', WebSocket: server.ctor, getToken: async () => 'token',
      onAuthenticated: () => {}, onEvent: () => {}, onState: () => {}, onProblem: (p) => problems.push(p),
      backoff: { minMs: 20, maxMs: 640 }, stableMs: 300, pingIntervalMs: 60_000,
    });
    conn.start();
    await new Promise((r) => setTimeout(r, 3000));
    // Delays of 10-20, 20-40 … up to 320-640 ms: about 10 connections in 3 s. Reset to 20 ms at each
    // auth_ok, as before, it was over 100.
    const opened = server.state.opened;
    assert.ok(opened >= 4 && opened <= 14, `${opened} connections in 3 s`);
    assert.equal(conn.problem, 'slow_consumer');
    assert.deepEqual(problems, ['slow_consumer']);

    // The server keeps the next connection: after stableMs the problem is over.
    server.state.slow = false;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(conn.state, 'online');
    assert.equal(conn.problem, undefined);
    assert.deepEqual(problems, ['slow_consumer', undefined]);
    conn.stop();
  });
});
