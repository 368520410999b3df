import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ParleyError, RestApi, accounts, generateDeviceKey } from '@parley/client';
import { createTestDatabase, createUser, startTestServer, uniqueHandle, type TestServer } from '@parley/testing';
import { RawPeer } from './raw.ts';
import { migratedTemplate } from '../src/storage/postgres/migrated-databases.ts';

const NATS_URL = process.env['PARLEY_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const envelope = (text: string) => ({ contentType: 'parley/plain+json', payload: Buffer.from(JSON.stringify({ kind: 'text', text })).toString('base64') });

const PER_SEC = 1;
const BURST = 10;

/** Sends through `peer` with `window` sends in flight until `until` (ms), then waits for every reply. */
async function flood(peer: RawPeer, chatId: string, tag: string, until: number, window = 20): Promise<{ acks: number; refused: Record<string, unknown>[]; other: Record<string, unknown>[] }> {
  const result = { acks: 0, refused: [] as Record<string, unknown>[], other: [] as Record<string, unknown>[] };
  let sent = 0;
  let answered = 0;
  return new Promise((resolve) => {
    const sendOne = () => {
      const n = sent++;
      peer.send({ type: 'send', rid: `${tag}-${n}`, chatId, clientMsgId: `flood_${tag}_${n}`, envelope: envelope(`${tag} ${n}`) });
    };
    peer.ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      if (typeof frame['rid'] !== 'string' || !frame['rid'].startsWith(`${tag}-`)) return;
      answered += 1;
      if (frame['type'] === 'ack') result.acks += 1;
      else if (frame['type'] === 'error' && frame['code'] === 'rate_limited') result.refused.push(frame);
      else result.other.push(frame);
      if (Date.now() < until) sendOne();
      else if (answered === sent) resolve(result);
    });
    for (let i = 0; i < window; i++) sendOne();
  });
}

/** Three in-process nodes on one database; the first runs the migrations, the others find them done. */
async function startNodes(env: Record<string, string>): Promise<TestServer[]> {
  const nodes = [await startTestServer({ ...env, PARLEY_NODE_ID: 'node1' })];
  nodes.push(...await Promise.all([2, 3].map((i) => startTestServer({ ...env, PARLEY_NODE_ID: `node${i}` }))));
  return nodes;
}

describe('cluster rate limits (PostgreSQL)', () => {
  it('cluster-wide rate limit: one device over 3 nodes gets its limit once', { timeout: 120_000 }, async (t) => {
    await using db = await createTestDatabase('parley_c', migratedTemplate);
    const env = {
      PARLEY_DATABASE_URL: db.url, PARLEY_NATS_URL: NATS_URL, PARLEY_NATS_PREFIX: `rl${randomBytes(4).toString('hex')}`,
      PARLEY_RATE_SEND_PER_SEC: String(PER_SEC), PARLEY_RATE_SEND_BURST: String(BURST),
    };
    const nodes = await startNodes(env);
    try {
      const alice = await createUser(nodes[0]!.url, { start: false });
      const bob = await createUser(nodes[1]!.url, { start: false });
      // One device, one session token, a WebSocket to each node.
      const token = await accounts.login(nodes[0]!.url, alice.deviceId, alice.deviceKey).then((s) => s.token);
      const { chat } = await new RestApi(nodes[0]!.url, token).call<{ chat: { chatId: string } }>('POST', '/chats/direct', { userId: bob.userId });
      const peers = await Promise.all(nodes.map(async (node) => {
        const peer = await RawPeer.open(node.url);
        peer.send({ type: 'auth', v: 1, token });
        await peer.next((f) => f['type'] === 'auth_ok');
        return peer;
      }));

      // As fast as it can through all three for 2 s.
      const started = Date.now();
      const results = await Promise.all(peers.map((peer, i) => flood(peer, chat.chatId, `n${i + 1}`, started + 2000)));
      const seconds = (Date.now() - started) / 1000;
      const accepted = results.reduce((a, r) => a + r.acks, 0);
      const refused = results.flatMap((r) => r.refused);
      assert.deepEqual(results.flatMap((r) => r.other), [], 'every send is acked or rate_limited');
      t.diagnostic(`${accepted} sends accepted (by node ${results.map((r) => r.acks).join('/')}), ${refused.length} refused, in ${seconds.toFixed(2)} s`);

      // burst + rate·t in all (one token of slack per node: low limits are leased one token at a
      // time), clearly not 3×; per-node limits would have let 3 × 10 through at once.
      assert.ok(accepted >= BURST, `accepted ${accepted}`);
      assert.ok(accepted <= BURST + PER_SEC * seconds + nodes.length, `accepted ${accepted} in ${seconds.toFixed(1)} s, by node ${results.map((r) => r.acks)}`);
      for (const [i, r] of results.entries()) assert.ok(r.refused.length > 0, `node ${i + 1} refused some sends`);
      for (const frame of refused) assert.ok(Number.isInteger(frame['retryAfter']) && Number(frame['retryAfter']) >= 1, `retryAfter ${String(frame['retryAfter'])}`);

      // What was acked is what was stored, and every node went to the shared buckets.
      const history = await peers[2]!.request({ type: 'history', rid: 'history', chatId: chat.chatId, afterSeq: 0, limit: 500 });
      const messages = history['messages'] as { senderDeviceId: string | null; envelope: unknown }[];
      assert.equal(messages.filter((m) => m.senderDeviceId === alice.deviceId && m.envelope !== null).length, accepted);
      for (const node of nodes) {
        const metrics = await (await fetch(`${node.url}/metrics`)).text();
        assert.match(metrics, /^parley_rate_limit_store_calls_total\{[^}]*result="granted"[^}]*\} [1-9]/m, `${node.config.nodeId} leased from the shared buckets`);
      }
      for (const peer of peers) peer.close();
    } finally {
      for (const node of nodes) await node.close();
    }
  });

  it('cluster-wide rate limit: sign-ups from one IP over 3 nodes get the hourly limit once', { timeout: 60_000 }, async () => {
    await using db = await createTestDatabase('parley_c', migratedTemplate);
    const nodes = await startNodes({ PARLEY_DATABASE_URL: db.url, PARLEY_RATE_SIGNUP_PER_HOUR: '4' });
    try {
      const signUp = async (node: TestServer) => {
        const deviceKey = await generateDeviceKey();
        return accounts.createWithDeviceKey(node.url, { handle: uniqueHandle('rl'), displayName: 'rl', deviceName: 'test', deviceKey });
      };
      for (let i = 0; i < 4; i++) await signUp(nodes[i % 3]!);
      for (const node of nodes) {
        await assert.rejects(signUp(node), (err: unknown) => err instanceof ParleyError && err.code === 'rate_limited' && (err.retryAfter ?? 0) >= 900 - 1);
      }
    } finally {
      for (const node of nodes) await node.close();
    }
  });
});
