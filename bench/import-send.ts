// Issue 12 / R104: how fast an export's messages go into a chat end to end (parse → MLS → server →
// ack), through the real SDK against the server in its own process, and how fast a second member's
// device shows them. Run twice by default: with the server's default send rate (20/s, burst 100),
// and with it lifted, to see what the client and MLS cost apart from the limit.
// Usage: node --import tsx bench/import-send.ts [messages=1000]
import { type ImportSource, type ImportedMessage } from '../packages/client/src/index.ts';
import { createUser, waitFor } from '../packages/testing/src/index.ts';
import { round, startServerProcess } from './lib/fixture.ts';

const n = Number(process.argv[2] ?? 1000);
const source: ImportSource = {
  chat: { source: 'whatsapp', name: 'bench' },
  media: () => undefined,
  messages: async function* (): AsyncGenerator<ImportedMessage> {
    for (let i = 0; i < n; i++) yield { sourceId: String(i + 1), sentAt: 1_700_000_000_000 + i * 60_000, author: `Flat ${i % 40}`, text: `message ${i}: the water is off from ten to two on Thursday`, attachments: [] };
  },
};

for (const [label, env] of [
  ['default send rate (20/s, burst 100)', { PARLEY_RATE_SEND_PER_SEC: '20', PARLEY_RATE_SEND_BURST: '100' }],
  ['send rate lifted', { PARLEY_RATE_SEND_PER_SEC: '100000', PARLEY_RATE_SEND_BURST: '100000' }],
] as const) {
  const server = await startServerProcess({ ...env, PARLEY_RATE_SIGNUP_PER_HOUR: '100000', PARLEY_RATE_API_PER_SEC: '10000' });
  const [ann, ben] = await Promise.all([createUser(server.url), createUser(server.url)]);
  if (!ann || !ben) throw new Error('users');
  const { chatId } = await ann.client.createGroup({ name: 'bench', memberIds: [ben.userId] });
  await waitFor(() => [ann, ben].every((u) => u.client.chat(chatId)?.encryption === 'on'), { timeoutMs: 60_000, what: 'encrypted' });
  const t0 = performance.now();
  await ann.client.importHistory(chatId, source);
  const acked = (performance.now() - t0) / 1000;
  await waitFor(() => ben.client.timeline(chatId).filter((i) => i.imported).length === n, { timeoutMs: 600_000, intervalMs: 50, what: 'ben sees all' });
  const shown = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ bench: 'import-send', label, messages: n, ackedSeconds: round(acked), ackedPerSec: Math.round(n / acked), shownOnSecondDeviceSeconds: round(shown) }));
  await Promise.all([ann.client.stop(), ben.client.stop()]);
  await server.close();
}
process.exit(0);
