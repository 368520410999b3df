// Bots through the gateway (R94): the round trip from a person's send to the bot's reply on their
// device (p50/p99) at a target rate, and the same bot code against a minimal local HTTP echo of the
// Bot API (the floor: no Parley, no encryption). Everything on loopback in this process: the server,
// the gateway, the bot (a plain getUpdates loop, handling updates one by one as grammY does) and the
// person's SDK client, both devices end-to-end encrypted (MLS).
// Usage: node --import tsx bench/bot-roundtrip.ts [rate=100] [seconds=10] [file|memory] [--processes] [--cpu-prof DIR]
// --processes: the real deployment instead: the server (its bundle, as `npm start` runs it), the gateway
// (`parley-bot-gateway`, its bin) and the bot each in a process of their own, the person in this one;
// prints each process's CPU per round trip. --cpu-prof DIR: those processes write CPU profiles there.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '@parley/bot-gateway';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { MemoryStore, type StoredMessage } from '@parley/client';
import { percentile, round } from './lib/stats.ts';

const flags = process.argv.slice(2);
const profDir = flags.includes('--cpu-prof') ? flags[flags.indexOf('--cpu-prof') + 1] : undefined;
const args = flags.filter((a, i) => !a.startsWith('--') && flags[i - 1] !== '--cpu-prof');
const rate = Number(args[0] ?? 100);
const seconds = Number(args[1] ?? 10);
const total = rate * seconds;
/** `memory`: the gateway keeps the bot device's state in memory instead of its data dir's store.json (one-process mode only). */
const storeKind = args[2] === 'memory' ? 'memory' : 'file';
const processes = flags.includes('--processes');

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

// `--role bot API_ROOT TOKEN`: this file as the bot's own process (--processes).
if (flags[0] === '--role') {
  echoBot(flags[2]!, flags[3]!);
  await new Promise(() => undefined);
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
if (!processes) {
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

// --- the same, each part in its own process: server, gateway (its bin), bot; the person here --------
if (processes) {
  const { spawnServer } = await import('@parley/testing');
  const { readFileSync } = await import('node:fs');
  const { loadavg } = await import('node:os');
  const root = new URL('../', import.meta.url).pathname;
  // (Node 20 takes --cpu-prof on the command line only.) The gateway and the bot are profiled; the server is not (bench/send-latency.ts profiles it).
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const freePort = async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
  };
  /** utime + stime of a process, in ms (Linux: /proc/PID/stat, clock ticks of 10 ms). */
  const cpuMs = (pid: number) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  const stop = async (c: ChildProcess) => {
    if (c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (c.exitCode === null) c.kill('SIGKILL');
  };
  const serverDir = mkdtempSync(join(tmpdir(), 'parley-bench-srv-'));
  const gwDir = mkdtempSync(join(tmpdir(), 'parley-bench-gw-'));
  const port = await freePort();
  const server = await spawnServer({ PORT: String(port), PARLEY_DATA_DIR: serverDir, PARLEY_RATE_BOT_SEND_PER_SEC: String(rate * 2), PARLEY_RATE_BOT_SEND_BURST: String(rate * 2) });
  const url = `http://127.0.0.1:${port}`;
  const owner = await createUser(url);
  const person = await createUser(url);
  const { bot, token } = await owner.client.bots.create({ handle: 'bench_echo_bot', displayName: 'Bench' });
  await owner.client.stop();
  const gwPort = await freePort();
  const gateway = spawn(process.execPath, [...prof, join(root, 'packages/bot-gateway/bin/parley-bot-gateway.mjs'), '--server', url, '--token', token, '--listen', `127.0.0.1:${gwPort}`,
    '--data', gwDir, '--max-updates', String(total * 2), '--max-pending', String(total * 2)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    gateway.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('Bot API')) resolve(); });
    gateway.once('exit', (code) => reject(new Error(`the gateway exited with ${code}`)));
  });
  const botProc = spawn(process.execPath, [...prof, '--import', 'tsx', join(root, 'bench/bot-roundtrip.ts'), '--role', 'bot', `http://127.0.0.1:${gwPort}`, token], { stdio: 'inherit' });
  const chat = await person.client.openDirect(bot.userId);
  const received = new Map<number, number>();
  person.client.on('message', (m) => {
    const d = (m as StoredMessage).decoded;
    if (m.senderUserId === bot.userId && d?.kind === 'content' && d.content.kind === 'text') received.set(Number(d.content.text.split(' ')[1]), performance.now());
  });
  // Warm up: the first text goes once the bot's device is in the chat's group, and comes back.
  await waitFor(() => person.client.chat(chat.chatId)?.encryption === 'on', { what: 'encryption on', timeoutMs: 30_000 });
  await person.client.sendText(chat.chatId, '-1');
  await waitFor(() => received.has(-1), { what: 'the first echo', timeoutMs: 60_000 });
  received.clear();
  const pids = { server: server.pid!, gateway: gateway.pid!, bot: botProc.pid! };
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const self0 = process.cpuUsage();
  const load0 = loadavg()[0]!;
  const r = await drive((i) => void person.client.sendText(chat.chatId, `${i}`), received);
  const back = Math.max(1, total - r.lost);
  const self = process.cpuUsage(self0);
  const cpuMsPerMsg = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, round((cpuMs(pid) - before[k]!) / back, 2)]));
  cpuMsPerMsg['person'] = round((self.user + self.system) / 1000 / back, 2);
  console.log(JSON.stringify({ bench: 'bot round trip through Parley (MLS both ends; server, gateway, bot, person: four processes)', rate, seconds, ...r, cpuMsPerMsg, loadAvg: [round(load0), round(loadavg()[0]!)] }));
  await person.client.stop();
  await Promise.all([botProc, gateway, server].map(stop));
  rmSync(serverDir, { recursive: true, force: true });
  rmSync(gwDir, { recursive: true, force: true });
}
