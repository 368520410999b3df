// A load-generator process: holds raw protocol connections and drives traffic on command from the
// coordinator (IPC). Raw frames, no SDK: the figures then measure the server, not client code.
// Send times travel inside the clientMsgId (µs since the epoch, performance clock), so a receiver
// in another process measures send→deliver without a shared map.
import { Agent as HttpAgent } from 'node:http';
import WebSocket from 'ws';
import { WS_PATH } from '@parley/protocol';
import { readOnNotice } from './channel-reads.ts';
import type { ChannelReadMode, Command, Reply, SessionSpec } from './protocol.ts';

const now = () => performance.timeOrigin + performance.now();
const worker = process.pid.toString(36);

interface Conn {
  ws: WebSocket;
  spec: SessionSpec;
  url: string;
  agent: HttpAgent;
  receiptTimers: Map<string, { upToSeq: number; timer: NodeJS.Timeout | undefined }>;
}

const conns: Conn[] = [];
/** Keep-alive HTTP agents for the per-notice reads, one per local address (as the WebSockets spread). */
const agents = new Map<string, HttpAgent>();
function agentFor(localAddress: string | undefined): HttpAgent {
  const key = localAddress ?? '';
  let a = agents.get(key);
  if (!a) agents.set(key, (a = new HttpAgent({ keepAlive: true, maxSockets: 512, ...(localAddress ? { localAddress } : {}) })));
  return a;
}
let latencies: number[] = [];
let received = 0;
let firstAt = 0;
let lastAt = 0;
let acked = 0;
let errors = 0;
let receiptDelayMs = -1;
let readMode: ChannelReadMode = 'none';
let reads = { devices: 0, requests: 0, failed: {} as Record<string, number>, lastAt: 0 };
const inflight = new Map<string, () => void>();

function reply(r: Reply): void {
  process.send?.(r);
}

function onFrame(conn: Conn, data: WebSocket.RawData): void {
  const frame = JSON.parse(String(data)) as { type: string; rid?: string; message?: { chatId: string; seq: number; clientMsgId: string; senderDeviceId: string }; code?: string; channelId?: string; seq?: number };
  if (frame.type === 'message' && frame.message) {
    const m = frame.message;
    if (m.senderDeviceId === conn.spec.deviceId) return; // the sender's own echo is not a delivery
    received += 1;
    const t = now();
    if (!firstAt) firstAt = t;
    lastAt = t;
    const sentUs = /^b[0-9a-z]+_\d+_(\d+)$/.exec(m.clientMsgId)?.[1];
    if (sentUs) latencies.push(t - Number(sentUs) / 1000);
    if (receiptDelayMs >= 0) scheduleReceipt(conn, m.chatId, m.seq);
  } else if (frame.type === 'channel_post') {
    // R97: a channel's notice (channel, seq); bench/channel-fanout.ts times its fan-out from the post.
    received += 1;
    const t = now();
    if (!firstAt) firstAt = t;
    lastAt = t;
    if (readMode !== 'none') {
      const r = reads;
      void readOnNotice(conn.url, conn.spec.token, frame.channelId!, frame.seq!, readMode, conn.agent, r).then(() => {
        r.devices += 1;
        r.lastAt = now();
      });
    }
  } else if (frame.type === 'ack' && frame.rid) {
    acked += 1;
    inflight.get(frame.rid)?.();
    inflight.delete(frame.rid);
  } else if (frame.type === 'error') {
    errors += 1;
    if (errors <= 3) console.error('server error frame:', String(data).slice(0, 300));
    if (frame.rid) {
      inflight.get(frame.rid)?.();
      inflight.delete(frame.rid);
    }
  }
}

/** Delivered receipts, coalesced per chat like a real client would (one per delay window). */
function scheduleReceipt(conn: Conn, chatId: string, seq: number): void {
  let entry = conn.receiptTimers.get(chatId);
  if (!entry) conn.receiptTimers.set(chatId, (entry = { upToSeq: 0, timer: undefined }));
  entry.upToSeq = Math.max(entry.upToSeq, seq);
  if (entry.timer) return;
  const e = entry;
  e.timer = setTimeout(() => {
    e.timer = undefined;
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify({ type: 'receipt', chatId, kind: 'delivered', upToSeq: e.upToSeq }));
  }, receiptDelayMs);
}

async function connect(url: string, spec: SessionSpec, index: number, localAddress: string | undefined): Promise<void> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + WS_PATH, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
  const conn: Conn = { ws, spec, url, agent: agentFor(localAddress), receiptTimers: new Map() };
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', v: 1, token: spec.token })));
    ws.once('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type !== 'auth_ok') return reject(new Error(`auth failed: ${String(data).slice(0, 200)}`));
      ws.off('error', reject);
      ws.on('error', () => (errors += 1));
      ws.on('message', (d) => onFrame(conn, d));
      resolve();
    });
  });
  conns[index] = conn;
}

let seq = 0;
function sendOne(conn: Conn, chatId: string): Promise<void> {
  seq += 1;
  const rid = `r${seq}`;
  const clientMsgId = `b${worker}_${seq}_${Math.round(now() * 1000)}`;
  const done = new Promise<void>((resolve) => inflight.set(rid, resolve));
  conn.ws.send(JSON.stringify({ type: 'send', rid, chatId, clientMsgId, envelope: { contentType: 'text/plain', payload: 'aGVsbG8gdGhlcmUsIGhvdyBhcmUgeW91IHRvZGF5Pw==' } }));
  return done;
}

async function paced(routes: { conn: number; chatId: string }[], rate: number, seconds: number, window: number): Promise<number> {
  const total = Math.round(rate * seconds);
  const start = now();
  let sent = 0;
  const pending = new Set<Promise<void>>();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - start) / 1000) * rate) + 1);
    while (sent < due && pending.size < window) {
      const route = routes[sent % routes.length]!;
      const p = sendOne(conns[route.conn]!, route.chatId);
      pending.add(p);
      void p.then(() => pending.delete(p));
      sent += 1;
    }
    await new Promise((r) => setTimeout(r, pending.size >= window ? 1 : 2));
  }
  await Promise.all(pending);
  return sent;
}

process.on('message', (cmd: Command) => {
  void (async () => {
    switch (cmd.cmd) {
      case 'connect': {
        const batch = 50;
        const base = conns.length;
        for (let i = 0; i < cmd.sessions.length; i += batch) {
          await Promise.all(cmd.sessions.slice(i, i + batch).map((s, j) =>
            connect(s.url ?? cmd.url, s, base + i + j, cmd.localAddresses.length ? cmd.localAddresses[(i + j) % cmd.localAddresses.length] : undefined)));
        }
        return reply({ cmd: 'connect', connections: conns.length, rssKb: Math.round(process.memoryUsage().rss / 1024) });
      }
      case 'receipts':
        receiptDelayMs = cmd.delayMs;
        return reply({ cmd: 'receipts' });
      case 'channelReads':
        readMode = cmd.mode;
        return reply({ cmd: 'channelReads' });
      case 'reset':
        reads = { devices: 0, requests: 0, failed: {}, lastAt: 0 };
        latencies = [];
        received = 0; firstAt = 0; lastAt = 0; acked = 0; errors = 0;
        return reply({ cmd: 'reset' });
      case 'send': {
        const sent = await paced(cmd.routes, cmd.rate, cmd.seconds, cmd.window);
        return reply({ cmd: 'send', sent, acked, errors });
      }
      case 'stats':
        return reply({ cmd: 'stats', received, firstAt, lastAt, latencies, errors, reads });
      case 'close':
        for (const c of conns) c.ws.terminate();
        reply({ cmd: 'close' });
        return setTimeout(() => process.exit(0), 50);
    }
  })().catch((err: unknown) => {
    reply({ cmd: 'error', message: String((err as Error)?.stack ?? err) });
  });
});
reply({ cmd: 'ready' });
