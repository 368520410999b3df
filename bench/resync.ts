// Time to sync 10,000 messages missed while offline. A device that has seen the chat goes offline;
// its peer sends N messages; the device reconnects and catches up. Measured twice: through the real
// SDK (ParleyClient: pages of 100, each appended to its store and folded into the timeline), and as
// the protocol's floor (raw `history` frames of the server's maximum page, 500).
// Usage: node --import tsx bench/resync.ts [messages=10000]
import WebSocket from 'ws';
import { MemoryStore } from '@parley/client';
import { WS_PATH } from '@parley/protocol';
import { createUser, newClient, waitFor } from '@parley/testing';
import { round, startServerProcess, Worker, type SessionSpec } from './lib/fixture.ts';
import { accounts } from '@parley/client';

const n = Number(process.argv[2] ?? 10_000);
const server = await startServerProcess();
const sender = await createUser(server.url);
const store = new MemoryStore();
const reader = await createUser(server.url, { store });
const { chatId } = await sender.client.openDirect(reader.userId);
await waitFor(() => reader.client.chat(chatId) !== undefined, { what: 'reader sees the chat' });
await reader.client.stop();

// The missed messages, sent fast by a raw load worker.
const { token } = await accounts.login(server.url, sender.deviceId, sender.deviceKey);
await sender.client.stop();
const worker = await Worker.start();
const spec: SessionSpec = { userId: sender.userId, deviceId: sender.deviceId, token };
await worker.call({ cmd: 'connect', url: server.url, sessions: [spec], localAddresses: [] });
const sent = await worker.call({ cmd: 'send', routes: [{ conn: 0, chatId }], rate: 1_000_000, seconds: n / 1_000_000, window: 500 });
await worker.close();
if (sent.acked !== n) throw new Error(`only ${sent.acked} of ${n} acknowledged`);

// Raw floor: history pages of 500 after seq 1.
const readerSession = await accounts.login(server.url, reader.deviceId, reader.deviceKey);
const rawStart = performance.now();
const ws = new WebSocket(server.url.replace(/^http/, 'ws') + WS_PATH, { perMessageDeflate: false });
const frames: Record<string, unknown>[] = [];
let wake: (() => void) | undefined;
ws.on('message', (d) => { frames.push(JSON.parse(String(d)) as Record<string, unknown>); wake?.(); });
await new Promise((r) => ws.once('open', r));
const next = async (type: string) => {
  for (;;) {
    const i = frames.findIndex((f) => f['type'] === type);
    if (i >= 0) return frames.splice(i, 1)[0]!;
    await new Promise<void>((r) => (wake = r));
  }
};
ws.send(JSON.stringify({ type: 'auth', v: 1, token: readerSession.token }));
await next('auth_ok');
let after = 1;
let got = 0;
for (let page = 0; ; page++) {
  ws.send(JSON.stringify({ type: 'history', rid: `h${page}`, chatId, afterSeq: after, limit: 500 }));
  const f = (await next('history')) as { messages: { seq: number }[]; hasMore: boolean };
  got += f.messages.length;
  after = f.messages.at(-1)?.seq ?? after;
  if (!f.hasMore) break;
}
const rawMs = performance.now() - rawStart;
ws.close();

// Through the SDK, from the store it had before going offline.
const sdkStart = performance.now();
const again = newClient(server.url, reader.userId, reader.deviceId, reader.deviceKey, store);
await again.start();
await waitFor(() => again.timeline(chatId).length >= n, { timeoutMs: 300_000, intervalMs: 5, what: 'sdk caught up' });
const sdkMs = performance.now() - sdkStart;
await again.stop();

console.log(JSON.stringify({
  bench: 'resync after offline', missed: n, rawReceived: got,
  rawProtocolSeconds: round(rawMs / 1000, 2), sdkSeconds: round(sdkMs / 1000, 2),
  sdkMessagesPerSec: Math.round(n / (sdkMs / 1000)),
}));
await server.close();
