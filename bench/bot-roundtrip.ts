// Bots through the gateway (R94): the round trip from a person's send to the bot's reply on their
// device (p50/p99) at a target rate, and the same bot code against a minimal local HTTP echo of the
// Bot API (the floor: no Parley, no encryption). Everything on loopback in this process: the server,
// the gateway, the bot (a plain getUpdates loop, handling updates one by one as grammY does) and the
// person's SDK client, both devices end-to-end encrypted (MLS).
// Usage: node --import tsx bench/bot-roundtrip.ts [rate=100] [seconds=10] [file|memory]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '@parley/bot-gateway';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { MemoryStore, type StoredMessage } from '@parley/client';
import { percentile, round } from './lib/stats.ts';

const rate = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 10);
const total = rate * seconds;
/** `memory`: the gateway keeps the bot device's state in memory instead of its data dir's store.json. */
const storeKind = process.argv[4] === 'memory' ? 'memory' : 'file';

/** The bot: long-polls getUpdates and answers each text with sendMessage, one at a time. */
function echoBot(apiRoot: string, token: string): { stop(): void } {
  let stopped = false;
  const call = async (method: string, body: unknown) => {
    const res = await fetch(`${apiRoot}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return ((await res.json()) as { result: unknown }).result;
  };
  void (async () => {
    let offset = 0;
    while (!stopped) {
      const updates = (await call('getUpdates', { offset, timeout: 1 }).catch(() => [])) as { update_id: number; message?: { chat: { id: number }; text: string } }[];
      for (const u of updates) {
        offset = u.update_id + 1;
        if (u.message) await call('sendMessage', { chat_id: u.message.chat.id, text: `echo ${u.message.text}` }).catch(() => undefined);
      }
    }
  })();
  return { stop: () => { stopped = true; } };
}

/** Sends `total` texts at `rate`; `send(i)` starts one, `received` collects the reply times by i. */
async function drive(send: (i: number) => void, received: Map<number, number>): Promise<{ p50: number; p99: number; max: number; lost: number }> {
  const sentAt = new Map<number, number>();
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sentAt.set(i, performance.now());
    send(i);
  }
  const deadline = performance.now() + 60_000;
  while (received.size < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const lat = [...received].map(([i, at]) => at - sentAt.get(i)!).sort((a, b) => a - b);
  return { p50: round(percentile(lat, 50)), p99: round(percentile(lat, 99)), max: round(lat.at(-1) ?? NaN), lost: total - received.size };
}

// --- the floor: the same bot against a minimal Bot API echo ---------------------------------------
{
  const queue: unknown[] = [];
  const waiters: (() => void)[] = [];
  const received = new Map<number, number>();
  let nextUpdate = 1;
  const fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { offset?: number; text?: string; timeout?: number };
      if (req.url?.endsWith('/getUpdates')) {
        if (queue.length === 0) await new Promise<void>((r) => { waiters.push(r); setTimeout(r, (body.timeout ?? 0) * 1000); });
        const out = queue.splice(0);
        res.end(JSON.stringify({ ok: true, result: out }));
      } else {
        received.set(Number(String(body.text).split(' ')[1]), performance.now());
        res.end(JSON.stringify({ ok: true, result: { message_id: 1 } }));
      }
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
  const bot = echoBot(`http://127.0.0.1:${(fake.address() as AddressInfo).port}`, '1:floor');
  const r = await drive((i) => {
    queue.push({ update_id: nextUpdate++, message: { message_id: i, chat: { id: 1, type: 'private' }, date: 0, text: String(i) } });
    waiters.splice(0).forEach((w) => w());
  }, received);
  bot.stop();
  fake.closeAllConnections();
  fake.close();
  console.log(JSON.stringify({ bench: 'bot round trip, floor (local Bot API echo)', rate, seconds, ...r }));
}

// --- through Parley: person (SDK) → server → gateway → bot → gateway → server → person ---------------
{
  const server = await startTestServer({ PARLEY_RATE_BOT_SEND_PER_SEC: String(rate * 2), PARLEY_RATE_BOT_SEND_BURST: String(rate * 2) });
  const owner = await createUser(server.url);
  const person = await createUser(server.url);
  const { bot, token } = await owner.client.bots.create({ handle: 'bench_echo_bot', displayName: 'Bench' });
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-gw-'));
  const gw = await startGateway({ server: server.url, token, listen: { host: '127.0.0.1', port: 0 }, dataDir, log: () => undefined, maxUpdates: total * 2, maxPending: total * 2,
    ...(storeKind === 'memory' ? { store: new MemoryStore() } : {}) });
  const chat = await person.client.openDirect(bot.userId);
  await waitFor(() => person.client.chat(chat.chatId)?.encryption === 'on' && gw.client.chat(chat.chatId)?.encryption === 'on', { what: 'encryption on', timeoutMs: 30_000 });
  const echo = echoBot(gw.url, token);
  const received = new Map<number, number>();
  person.client.on('message', (m) => {
    const d = (m as StoredMessage).decoded;
    if (m.senderUserId === bot.userId && d?.kind === 'content' && d.content.kind === 'text') received.set(Number(d.content.text.split(' ')[1]), performance.now());
  });
  const rss0 = process.memoryUsage().rss;
  const load = (await import('node:os')).loadavg()[0]!;
  const cpu0 = process.cpuUsage();
  const r = await drive((i) => void person.client.sendText(chat.chatId, `${i}`), received);
  // CPU of this one process (server, gateway, bot, person) per round trip: the figure a busy machine distorts least.
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerMsg = round((cpu.user + cpu.system) / 1000 / Math.max(1, total - r.lost));
  console.log(JSON.stringify({ bench: 'bot round trip through Parley (MLS both ends, one process)', rate, seconds, gatewayStore: storeKind, ...r, cpuMsPerMsg, processRssGrowthMb: round((process.memoryUsage().rss - rss0) / 1048576), loadAvgAtStart: round(load) }));
  echo.stop();
  await gw.close();
  await Promise.all([owner, person].map((u) => u.client.stop()));
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
