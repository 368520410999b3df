// R40 (issue 17): a person in very many chats, and hostile history readers.
//  1. Sign-in and full sync for a person in N chats (default 10,000). "paged": the default config
//     (the chat list in pages of at most 200 chats and a quarter of the 1 MiB send buffer). "one
//     frame": the same data on a server whose buffer (64 MiB) and page maximum let the whole list go
//     in auth_ok, as before R40 (at the default buffer that frame was closed with 4008, so before
//     paging this person could not sign in at all). Measured as raw frames (sign-in until the last page)
//     and through the SDK (a new device: until its list is complete and every chat caught up).
//  2. Server memory while H hostile members (default 100) each ask for history pages of a chat of
//     maximum-size messages as fast as they can, reading (and not reading) their sockets.
// Usage: node --import tsx bench/many-chats.ts [chats=10000] [hostile=100]   (chats 0: part 2 only)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { accounts, MemoryStore, RestApi } from '@parley/client';
import { WS_PATH } from '@parley/protocol';
import { createUser, newClient, waitFor } from '@parley/testing';
import { makeUsers, round, startServerProcess, type ServerProcess } from './lib/fixture.ts';

const chatsWanted = Number(process.argv[2] ?? 10_000);
const hostile = Number(process.argv[3] ?? 100);
const open = { PARLEY_CONSENT_REQUIRED: 'false', PARLEY_RATE_CHATS_PER_HOUR: '10000000', PARLEY_RATE_API_PER_SEC: '100000', PARLEY_RATE_SIGNUP_PER_HOUR: '100000', PARLEY_RATE_LOGIN_PER_MIN: '100000' };
const print = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

/** A raw connection: frames by rid or type. */
async function connect(url: string, token: string): Promise<{ ws: WebSocket; next: (match: (f: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>; bytes: () => number; countOnly: () => void }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + WS_PATH, { perMessageDeflate: false });
  const frames: Record<string, unknown>[] = [];
  let bytes = 0;
  let parse = true;
  let wake: (() => void) | undefined;
  ws.on('message', (d: Buffer) => {
    bytes += d.length;
    if (!parse) return;
    frames.push(JSON.parse(String(d)) as Record<string, unknown>);
    wake?.();
  });
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  ws.send(JSON.stringify({ type: 'auth', v: 1, token }));
  const next = async (match: (f: Record<string, unknown>) => boolean) => {
    for (;;) {
      const i = frames.findIndex(match);
      if (i >= 0) return frames.splice(i, 1)[0]!;
      await new Promise<void>((r, j) => { wake = r; ws.once('close', (code) => j(new Error(`closed ${code}`))); });
    }
  };
  // A hostile reader only counts what it gets: parsing gigabytes of pages would make this process,
  // and the honest member's timings taken in it, the bottleneck.
  return { ws, next, bytes: () => bytes, countOnly: () => (parse = false) };
}

// --- 1. a person in N chats ---------------------------------------------------------------------
// 0 chats: part 2 only.
let server: ServerProcess;
if (chatsWanted > 0) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-many-'));
  server = await startServerProcess({ ...open, PARLEY_DATA_DIR: dataDir });
  const [maker] = await makeUsers(server.url, 1);
  const victimUser = await createUser(server.url, { start: false });
  {
    const api = new RestApi(server.url, maker!.token);
    const started = performance.now();
    let made = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (made < chatsWanted) {
        made++;
        await api.call('POST', '/chats', { name: `chat ${made}`, memberIds: [victimUser.userId] });
      }
    }));
    process.stderr.write(`made ${chatsWanted} chats in ${round((performance.now() - started) / 1000)} s\n`);
  }

  async function measure(label: string, env: Record<string, string>): Promise<void> {
    await server.close().catch(() => undefined);
    server = await startServerProcess({ ...open, PARLEY_DATA_DIR: dataDir, ...env });
    // Raw: sign-in (a fresh token, the WebSocket, auth_ok) until the last page of the list.
    const t0 = performance.now();
    const { token } = await accounts.login(server.url, victimUser.deviceId, victimUser.deviceKey);
    const conn = await connect(server.url, token);
    const authOk = await conn.next((f) => f['type'] === 'auth_ok');
    const firstMs = performance.now() - t0;
    let listed = (authOk['chats'] as unknown[]).length;
    let pages = 1;
    let largest = JSON.stringify(authOk).length;
    for (let next = authOk['chatsNext']; typeof next === 'string'; pages++) {
      conn.ws.send(JSON.stringify({ type: 'chats', rid: `p${pages}`, after: next }));
      const page = await conn.next((f) => f['rid'] === `p${pages}`);
      if (page['type'] !== 'chats') throw new Error(`page ${pages}: ${JSON.stringify(page).slice(0, 200)}`);
      listed += (page['chats'] as unknown[]).length;
      largest = Math.max(largest, JSON.stringify(page).length);
      next = page['next'];
    }
    const listMs = performance.now() - t0;
    conn.ws.close();
    if (listed !== chatsWanted) throw new Error(`${label}: listed ${listed} of ${chatsWanted}`);
    // SDK: a new device of this person (a fresh store), plaintext so it reads every log.
    const t1 = performance.now();
    const client = newClient(server.url, victimUser.userId, victimUser.deviceId, victimUser.deviceKey, new MemoryStore(), undefined, { mls: { enabled: false } });
    await client.start();
    await waitFor(() => client.chatListComplete, { what: 'the whole list', timeoutMs: 600_000, intervalMs: 50 });
    const listedMs = performance.now() - t1;
    await waitFor(() => client.chats().length === chatsWanted && client.chats().every((c) => (client.log(c.chatId).at(-1)?.seq ?? 0) >= c.lastSeq),
      { what: 'every chat caught up', timeoutMs: 1_200_000, intervalMs: 500 });
    const syncedMs = performance.now() - t1;
    await client.stop();
    print({ bench: 'many-chats', mode: label, chats: chatsWanted, pages, largestFrameBytes: largest, rawFirstFrameMs: round(firstMs), rawWholeListMs: round(listMs), sdkListCompleteMs: round(listedMs), sdkFullSyncMs: round(syncedMs), serverRssMb: round(server.rssKb() / 1024) });
  }

  await measure('paged (default config)', {});
  await measure('one frame (64 MiB buffer, no page maximum: as before R40)', { PARLEY_WS_BUFFER_BYTES: String(64 * 1024 * 1024), PARLEY_CHAT_PAGE_MAX: '1000000' });
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}

// --- 2. hostile history readers -----------------------------------------------------------------
// With V8's heap capped (256 MB): RSS then shows what the server holds, not garbage V8 has not
// collected yet (uncapped, on a 24 GB machine, it lets the heap grow to gigabytes first); and the
// node must not run out of memory.
server = await startServerProcess(open, ['--max-old-space-size=256', ...(process.env.BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? [])]);
const members = await makeUsers(server.url, hostile + 1);
const owner = members[0]!;
const api = new RestApi(server.url, owner.token);
const { chat } = await api.call<{ chat: { chatId: string } }>('POST', '/chats', { name: 'big', memberIds: members.slice(1).map((m) => m.userId) });
const payload = Buffer.alloc(((64 * 1024 - 64) * 3) / 4, 7).toString('base64');
{
  const c = await connect(server.url, owner.token);
  await c.next((f) => f['type'] === 'auth_ok');
  for (let i = 0; i < 40; i++) {
    c.ws.send(JSON.stringify({ type: 'send', rid: `s${i}`, chatId: chat.chatId, clientMsgId: `big_message_${i}`, envelope: { contentType: 'application/octet-stream', payload } }));
    await c.next((f) => f['rid'] === `s${i}`);
  }
  c.ws.close();
}

async function storm(reading: boolean, seconds: number): Promise<Record<string, unknown>> {
  const conns = await Promise.all(members.slice(1).map(async (m) => {
    const c = await connect(server.url, m.token);
    await c.next((f) => f['type'] === 'auth_ok');
    c.countOnly();
    return c;
  }));
  const idleRss = server.rssKb();
  let closed4008 = 0;
  let otherClosed = 0;
  for (const c of conns) c.ws.on('close', (code) => (code === 4008 ? closed4008++ : otherClosed++));
  if (!reading) for (const c of conns) (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  // RSS every 100 ms until the hostile connections are gone (the node may still be answering them
  // after they stop asking); a server that died says so instead of hanging.
  let peak = idleRss;
  const sampler = setInterval(() => {
    let rss = NaN;
    try {
      rss = server.rssKb();
    } catch { /* gone: below */ }
    if (!Number.isFinite(rss) || server.child.exitCode !== null || server.child.signalCode !== null) {
      print({ bench: 'hostile-history', clients: hostile, reading, serverDied: true, peakRssMb: round(peak / 1024) });
      process.exit(1);
    }
    peak = Math.max(peak, rss);
  }, 100);
  for (const c of conns) c.ws.setMaxListeners(0);
  const until = performance.now() + seconds * 1000;
  let asked = 0;
  // An honest member signs in and reads half-way through the storm.
  const during = new Promise((r) => setTimeout(r, seconds * 500)).then(async () => {
    const t0 = performance.now();
    const c = await connect(server.url, owner.token);
    await c.next((f) => f['type'] === 'auth_ok');
    const t1 = performance.now();
    c.ws.send(JSON.stringify({ type: 'history', rid: 'honest', chatId: chat.chatId, afterSeq: 30, limit: 100 }));
    const reply = await c.next((f) => f['rid'] === 'honest');
    c.ws.close();
    return { midStormSignInMs: round(t1 - t0), midStormReadMs: round(performance.now() - t1), midStormGot: reply['type'] };
  });
  while (performance.now() < until) {
    for (const c of conns) {
      if (c.ws.readyState !== c.ws.OPEN) continue;
      for (let k = 0; k < 5; k++) c.ws.send(JSON.stringify({ type: 'history', rid: `h${asked++}`, chatId: chat.chatId, afterSeq: 0, limit: 500 }));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const received = conns.reduce((a, c) => a + c.bytes(), 0);
  const midStorm = await during;
  // An honest member's read after the storm (the hostile connections still open).
  const honest = await connect(server.url, owner.token);
  await honest.next((f) => f['type'] === 'auth_ok');
  const h0 = performance.now();
  honest.ws.send(JSON.stringify({ type: 'history', rid: 'honest', chatId: chat.chatId, afterSeq: 30, limit: 100 }));
  const honestReply = await honest.next((f) => f['rid'] === 'honest');
  const honestMs = performance.now() - h0;
  honest.ws.close();
  for (const c of conns) c.ws.terminate();
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(sampler);
  if (server.child.exitCode !== null) throw new Error(`the server exited (${server.child.exitCode})`);
  return { honestReadMs: round(honestMs), honestGot: honestReply['type'], ...midStorm, reading, idleRssMb: round(idleRss / 1024), peakRssMb: round(peak / 1024), askedPages: asked, receivedMb: round(received / 1048576), closed4008, otherClosed };
}

for (const reading of [true, false]) print({ bench: 'hostile-history', clients: hostile, messageKb: 64, messages: 40, seconds: 10, ...(await storm(reading, 10)) });
await server.close();
process.exit(0);
