// Bot gateway throughput (R94, R94b) and memory: updates per second one gateway delivers to a
// getUpdates bot and to a webhook bot, and the gateway's memory per active chat. The gateway runs as
// its own process (the `parley-bot-gateway` command, as an owner runs it), so its RSS is its own; the
// server and the people's SDK clients run in this process, all on loopback, end-to-end encrypted (MLS).
// Usage: node --import tsx bench/bot-updates.ts [people=10] [messagesEach=50] [idleChats=40]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { round } from './lib/stats.ts';

const people = Number(process.argv[2] ?? 10);
const each = Number(process.argv[3] ?? 50);
const moreChats = Number(process.argv[4] ?? 40);
const total = people * each;
const root = fileURLToPath(new URL('../', import.meta.url));

const server = await startTestServer({
  PARLEY_RATE_SEND_PER_SEC: '1000', PARLEY_RATE_SEND_BURST: '1000', PARLEY_RATE_BOT_SEND_PER_SEC: '1000', PARLEY_RATE_BOT_SEND_BURST: '1000',
});
const owner = await createUser(server.url);
const { bot, token } = await owner.client.bots.create({ handle: 'bench_updates_bot', displayName: 'Bench' });
const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-gw-'));
// SIGUSR2 makes the gateway collect garbage and print its heap in use: RSS alone swings with the GC.
const heapProbe = `data:text/javascript,process.on('SIGUSR2',()=>{globalThis.gc();process.stderr.write('HEAP '+process.memoryUsage().heapUsed+'\\n')})`;
const gw = spawn(process.execPath, ['--expose-gc', '--import', heapProbe, join(root, 'packages/bot-gateway/bin/parley-bot-gateway.mjs'), '--server', server.url, '--token', token, '--listen', '127.0.0.1:0', '--data', dataDir, '--max-updates', String(total * 2), '--max-pending', String(total)], { stdio: ['ignore', 'pipe', 'pipe'] });
let heapLine: ((bytes: number) => void) | undefined;
gw.stderr.on('data', (b: Buffer) => {
  const m = /HEAP (\d+)/.exec(b.toString());
  if (m) heapLine?.(Number(m[1]));
  else process.stderr.write(b);
});
const heapMb = () => new Promise<number>((resolve) => { heapLine = (bytes) => resolve(round(bytes / 1048576)); gw.kill('SIGUSR2'); });
const apiRoot = await new Promise<string>((resolve, reject) => {
  gw.stdout.on('data', (b: Buffer) => { const m = /is at (http:\/\/\S+)/.exec(b.toString()); if (m) resolve(m[1]!); });
  gw.once('exit', (code) => reject(new Error(`the gateway exited (${code})`)));
});
const rssMb = () => round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gw.pid}/status`, 'utf8'))![1]) / 1024);
const call = async (method: string, body: unknown = {}) => {
  const res = await fetch(`${apiRoot}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return ((await res.json()) as { result: unknown }).result;
};

/** People who opened a chat with the bot and whose devices and the bot's share its encryption group. */
async function chatsWith(n: number): Promise<{ user: TestUser; chatId: string }[]> {
  const out: { user: TestUser; chatId: string }[] = [];
  for (let i = 0; i < n; i++) {
    const user = await createUser(server.url);
    const { chatId } = await user.client.openDirect(bot.userId);
    await waitFor(async () => (await user.client.encryptionMembers(chatId)).some((m) => m.userId === bot.userId), { what: 'the bot in the chat', timeoutMs: 60_000 });
    out.push({ user, chatId });
  }
  return out;
}

const rssStart = rssMb();
const chats = await chatsWith(people);

const pending = async () => ((await call('getWebhookInfo')) as { pending_update_count: number }).pending_update_count;

/** Every person sends `each` texts at once with no bot reading: how fast the gateway decrypts and queues them. */
async function ingest(tag: string): Promise<{ updatesPerSec: number; seconds: number }> {
  const t0 = performance.now();
  for (const { user, chatId } of chats) for (let i = 0; i < each; i++) void user.client.sendText(chatId, `${tag} ${i}`);
  await waitFor(async () => (await pending()) >= total, { what: `${tag}: all queued`, timeoutMs: 600_000, intervalMs: 20 });
  const seconds = (performance.now() - t0) / 1000;
  return { updatesPerSec: round(total / seconds), seconds: round(seconds) };
}

/** Drains the queued updates through `consume`, which resolves when the bot code has them all. */
async function drain(consume: () => Promise<void>): Promise<{ updatesPerSec: number; seconds: number }> {
  const t0 = performance.now();
  await consume();
  const seconds = (performance.now() - t0) / 1000;
  return { updatesPerSec: round(total / seconds), seconds: round(seconds) };
}

// --- getUpdates: a bot long-polling, 100 at a time ---------------------------------------------------
{
  const queued = await ingest('poll');
  const delivered = await drain(async () => {
    let offset = 0;
    let got = 0;
    while (got < total) {
      const updates = (await call('getUpdates', { offset, timeout: 1, limit: 100 })) as { update_id: number }[];
      for (const u of updates) offset = u.update_id + 1;
      got += updates.length;
    }
    await call('getUpdates', { offset, timeout: 0 }); // confirms the last ones
  });
  console.log(JSON.stringify({ bench: 'bot gateway: people send (nobody reads) → queued; then a getUpdates bot takes them', people, messagesEach: each, ingest: queued, getUpdates: delivered }));
}

// --- webhook: the gateway POSTs one update at a time to a local endpoint -------------------------------
{
  const queued = await ingest('hook');
  let got = 0;
  let done: () => void = () => undefined;
  const hook = createServer((req, res) => { req.resume(); req.on('end', () => { res.end('ok'); if (++got >= total) done(); }); });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  const delivered = await drain(async () => {
    const all = new Promise<void>((r) => { done = r; });
    await call('setWebhook', { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` });
    await all;
  });
  await call('deleteWebhook');
  hook.closeAllConnections();
  hook.close();
  console.log(JSON.stringify({ bench: 'bot gateway: people send (nobody reads) → queued; then the webhook endpoint gets them (one POST at a time)', people, messagesEach: each, ingest: queued, webhook: delivered }));
}

// --- memory per active chat: RSS after more chats, each with a message the bot received ---------------
{
  const rssBefore = rssMb();
  const heapBefore = await heapMb();
  const more = await chatsWith(moreChats);
  let got = 0;
  let stopped = false;
  const loop = (async () => { let offset = 0; while (!stopped) { const u = (await call('getUpdates', { offset, timeout: 1 })) as { update_id: number }[]; for (const x of u) offset = x.update_id + 1; got += u.length; } })();
  for (const { user, chatId } of more) await user.client.sendText(chatId, 'hello');
  await waitFor(() => got >= moreChats, { what: 'a message in every new chat', timeoutMs: 120_000 });
  stopped = true;
  await loop;
  const rssAfter = rssMb();
  const heapAfter = await heapMb();
  console.log(JSON.stringify({
    bench: 'bot gateway memory (its own process; heap after a forced GC)', rssAtStartMb: rssStart, chatsBefore: people, rssBeforeMb: rssBefore, heapBeforeMb: heapBefore,
    chatsAdded: moreChats, rssAfterMb: rssAfter, heapAfterMb: heapAfter, heapPerChatKb: round(((heapAfter - heapBefore) * 1024) / moreChats),
  }));
  await Promise.all(more.map((c) => c.user.client.stop()));
}

gw.kill('SIGTERM');
await new Promise((r) => gw.once('exit', r));
await Promise.all([owner, ...chats.map((c) => c.user)].map((u) => u.client.stop()));
await server.close();
rmSync(dataDir, { recursive: true, force: true });
