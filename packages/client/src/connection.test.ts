import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLOSE_CODES } from '@parley/protocol';
import { Connection, browserNetwork, type ConnectionProblem, type WebSocketLike } from './connection.ts';

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

/** A server stand-in that keeps every connection (auth_ok, pongs), and a device network the test turns off and on. */
function keptServer() {
  const state = { opened: 0, open: 0 };
  class KeptSocket implements WebSocketLike {
    readyState = 0;
    onopen: ((ev: unknown) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    constructor(_url: string) {
      state.opened += 1;
      state.open += 1;
      setTimeout(() => { this.readyState = 1; this.onopen?.({}); }, 1);
    }
    send(data: string): void {
      const frame = JSON.parse(data) as { type: string };
      if (frame.type === 'auth') setTimeout(() => this.onmessage?.({ data: JSON.stringify({ type: 'auth_ok', userId: 'u', deviceId: 'd', chats: [], serverTime: Date.now() }) }), 1);
    }
    close(): void {
      if (this.readyState !== 3) state.open -= 1;
      this.readyState = 3;
    }
  }
  return { state, ctor: KeptSocket };
}

function fakeNetwork(online = true) {
  const target = new EventTarget();
  const net = {
    onLine: online,
    set(value: boolean) { net.onLine = value; target.dispatchEvent(new Event(value ? 'online' : 'offline')); },
    signal: {
      online: () => net.onLine,
      listen: (listener: (online: boolean) => void) => {
        const on = () => listener(true);
        const off = () => listener(false);
        target.addEventListener('online', on);
        target.addEventListener('offline', off);
        return () => { target.removeEventListener('online', on); target.removeEventListener('offline', off); };
      },
    },
  };
  return net;
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the SDK follows the device\'s network (browser online/offline events)', () => {
  it('offline: offline at once, the socket closed and not retried; online: connected again at once, without the back-off wait', async () => {
    const server = keptServer();
    const net = fakeNetwork();
    const states: string[] = [];
    const conn = new Connection({
      baseUrl: 'http://parley.test', WebSocket: server.ctor, getToken: async () => 'token',
      onAuthenticated: () => {}, onEvent: () => {}, onState: (s) => states.push(s),
      // A back-off far longer than the test, and pings that never come: only the events can explain what happens.
      backoff: { minMs: 60_000, maxMs: 60_000 }, pingIntervalMs: 600_000, network: net.signal,
    });
    conn.start();
    await tick(50);
    assert.equal(conn.state, 'online');

    net.set(false);
    assert.equal(conn.state, 'offline', 'said at once, not at the next ping');
    assert.equal(server.state.open, 0, 'the socket is closed');
    await tick(100);
    assert.equal(server.state.opened, 1, 'no reconnect attempt while the device is offline');

    net.set(true);
    await tick(50);
    assert.equal(conn.state, 'online', 'back at once, not after the 60 s back-off');
    assert.equal(server.state.opened, 2);
    assert.deepEqual(states, ['connecting', 'online', 'offline', 'connecting', 'online']);

    conn.stop();
    net.set(false);
    net.set(true);
    await tick(20);
    assert.equal(server.state.opened, 2, 'a stopped connection no longer listens');
  });

  it('started while the device is offline: waits for the network instead of trying', async () => {
    const server = keptServer();
    const net = fakeNetwork(false);
    const conn = new Connection({
      baseUrl: 'http://parley.test', WebSocket: server.ctor, getToken: async () => 'token',
      onAuthenticated: () => {}, onEvent: () => {}, onState: () => {}, network: net.signal,
    });
    conn.start();
    await tick(50);
    assert.equal(conn.state, 'offline');
    assert.equal(server.state.opened, 0);
    net.set(true);
    await tick(50);
    assert.equal(conn.state, 'online');
    conn.stop();
  });

  it('the default signal is the browser\'s (navigator.onLine, window events); in Node there is none', () => {
    assert.equal(browserNetwork(), undefined, 'Node: the connection relies on its socket');
    const g = globalThis as Record<string, unknown>;
    const window = new EventTarget();
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    const navigator = { onLine: true };
    Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true });
    g.addEventListener = window.addEventListener.bind(window);
    g.removeEventListener = window.removeEventListener.bind(window);
    try {
      const signal = browserNetwork();
      assert.ok(signal);
      const seen: boolean[] = [];
      const stop = signal.listen((online) => seen.push(online));
      navigator.onLine = false;
      window.dispatchEvent(new Event('offline'));
      assert.equal(signal.online(), false);
      navigator.onLine = true;
      window.dispatchEvent(new Event('online'));
      stop();
      window.dispatchEvent(new Event('offline'));
      assert.deepEqual(seen, [false, true]);
    } finally {
      delete g.addEventListener;
      delete g.removeEventListener;
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete g.navigator;
    }
  });
});
