// Send→deliver latency for 1:1 chats at a target rate, and fan-out into a 100-member group.
// Prints figures; not a test. Usage: node --import tsx bench/send-latency.ts [rate=1000] [seconds=5]
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';

const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 5);
const pairs = 50;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

await using server = await startTestServer();
const senders: TestUser[] = [];
const receivers: TestUser[] = [];
const chats: string[] = [];
for (let i = 0; i < pairs; i++) {
  const a = await createUser(server.url);
  const b = await createUser(server.url);
  const { chatId } = await a.client.openDirect(b.userId);
  await waitFor(() => b.client.chat(chatId) !== undefined);
  senders.push(a);
  receivers.push(b);
  chats.push(chatId);
}
const sentAt = new Map<string, number>();
const latencies: number[] = [];
for (const r of receivers) {
  r.client.on('message', (m) => {
    const t0 = sentAt.get(m.clientMsgId);
    if (t0 !== undefined) latencies.push(performance.now() - t0);
  });
}
const total = rate * seconds;
const start = performance.now();
for (let n = 0; n < total; n++) {
  const due = start + (n * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const i = n % pairs;
  const sender = senders[i] as TestUser;
  const t0 = performance.now();
  void sender.client.sendText(chats[i] as string, `bench ${n}`).then((id) => sentAt.set(id, t0));
}
await waitFor(() => latencies.length >= total, { timeoutMs: 120_000, what: 'all delivered' });
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({
  bench: '1:1 send→deliver', targetRate: rate, achievedRate: Math.round(total / elapsed), messages: total,
  p50ms: +pct(latencies, 50).toFixed(1), p99ms: +pct(latencies, 99).toFixed(1), maxms: +(latencies.at(-1) ?? 0).toFixed(1),
  note: 'SDK clients in the same process as the server; includes client-side encode/store/decode',
}));
for (const u of [...senders, ...receivers]) await u.client.stop();
