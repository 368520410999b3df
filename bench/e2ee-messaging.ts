// What end-to-end encryption costs a conversation, through the real SDK: the server runs in its own
// process; SDK clients in this one send with the MLS codec and, as the baseline in the same run,
// with the plaintext codec. One at a time (send → the other side shows it) and as a burst.
// Usage: node --import tsx bench/e2ee-messaging.ts [messages=200] [groupSize=10]
import { PlaintextCodec, type ContentCodec } from '../packages/client/src/index.ts';
import { createUser, waitFor, type TestUser } from '../packages/testing/src/index.ts';
import { percentile, round, startServerProcess } from './lib/fixture.ts';

const messages = Number(process.argv[2] ?? 200);
const groupSize = Number(process.argv[3] ?? 10);
const server = await startServerProcess({
  PARLEY_RATE_SEND_PER_SEC: '10000', PARLEY_RATE_SEND_BURST: '10000', PARLEY_RATE_SIGNUP_PER_HOUR: '100000',
  PARLEY_RATE_LOGIN_PER_MIN: '100000', PARLEY_RATE_API_PER_SEC: '10000',
});

const shown = (u: TestUser, chatId: string, text: string) => u.client.timeline(chatId).some((i) => i.text === text);

async function users(n: number, codec: ContentCodec | undefined): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => createUser(server.url, codec ? { codec } : {})));
}

async function ready(chatId: string, members: TestUser[], encrypted: boolean): Promise<void> {
  await waitFor(() => members.every((u) => u.client.chat(chatId) !== undefined && (!encrypted || u.client.chat(chatId)?.encryption === 'on')), { timeoutMs: 60_000, what: 'chat ready' });
}

async function measure(label: string, codec: ContentCodec | undefined) {
  const [alice, bob] = await users(2, codec);
  if (!alice || !bob) throw new Error('users');
  const { chatId } = await alice.client.openDirect(bob.userId);
  await ready(chatId, [alice, bob], !codec);

  const latencies: number[] = [];
  for (let i = 0; i < messages; i++) {
    const text = `${label} one ${i}`;
    const t0 = performance.now();
    await alice.client.sendText(chatId, text);
    await waitFor(() => shown(bob, chatId, text), { intervalMs: 1, timeoutMs: 30_000 });
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);

  const group = await users(groupSize, codec);
  const [owner, ...rest] = group;
  if (!owner) throw new Error('group');
  const g = await owner.client.createGroup({ name: 'bench', memberIds: rest.map((u) => u.userId) });
  await ready(g.chatId, group, !codec);
  const burstStart = performance.now();
  for (let i = 0; i < messages; i++) await owner.client.sendText(g.chatId, `${label} burst ${i}`);
  const last = `${label} burst ${messages - 1}`;
  await waitFor(() => rest.every((u) => shown(u, g.chatId, last)), { intervalMs: 5, timeoutMs: 300_000 });
  const burstSeconds = (performance.now() - burstStart) / 1000;

  await Promise.all([alice, bob, ...group].map((u) => u.client.stop()));
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    burstPerSecond: messages / burstSeconds,
  };
}

const plain = await measure('plain', new PlaintextCodec());
const mls = await measure('mls', undefined);
console.log(`1:1, one message at a time (send → shown on the other device), ${messages} messages:`);
console.log(`  plaintext p50 ${round(plain.p50)} ms, p99 ${round(plain.p99)} ms`);
console.log(`  MLS       p50 ${round(mls.p50)} ms, p99 ${round(mls.p99)} ms   (p50 ×${round(mls.p50 / plain.p50, 2)})`);
console.log(`group of ${groupSize}, a burst of ${messages} from one member until all others show the last:`);
console.log(`  plaintext ${round(plain.burstPerSecond)} msg/s, MLS ${round(mls.burstPerSecond)} msg/s   (×${round(mls.burstPerSecond / plain.burstPerSecond, 2)})`);
await server.close();
process.exit(0);
