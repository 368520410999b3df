// Property-based, seeded fuzzing of the WebSocket protocol (R13): every client frame type, valid,
// mutated and as raw garbage, sent by a member device of real chats (so the domain code runs), and
// before sign-in. Reproduce a failure with the seed it prints: PARLEY_FUZZ_SEED=<n>.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import WebSocket from 'ws';
import { accounts, RestApi } from '@parley/client';
import { ClientFrame, WS_PATH, type ChatSummary, type Message } from '@parley/protocol';
import {
  CLIENT_FRAME_TYPES, FrameFuzzer, createUser, fuzzFrame, fuzzSeed, startTestServer, validFrame, waitFor,
  type FrameFuzzContext, type SentEntry,
} from '@parley/testing';

const seed = fuzzSeed();
/** Batches of frames per run; PARLEY_FUZZ_RUNS scales it for a longer local run. */
const runs = Number(process.env['PARLEY_FUZZ_RUNS'] ?? 300);
const reproduce = `fuzz seed ${seed}; reproduce with PARLEY_FUZZ_SEED=${seed} node scripts/run-tests.mjs fuzz`;

/** Runs a fast-check assertion; a failure names the seed that reproduces it. */
async function seeded(run: () => Promise<void> | void): Promise<void> {
  try {
    await run();
  } catch (err) {
    throw new Error(`${reproduce}\n${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** An account with a session token and no SDK client: it speaks raw frames and REST. */
async function rawUser(url: string) {
  const user = await createUser(url, { start: false });
  const { token } = await accounts.login(url, user.deviceId, user.deviceKey);
  return { ...user, token, api: new RestApi(url, token) };
}

/** Sends frames over a connection of its own and collects the replies, for setup and checks. */
async function withConnection<T>(url: string, token: string, use: (request: (frame: Record<string, unknown>) => Promise<Record<string, unknown>>) => Promise<T>): Promise<T> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + WS_PATH);
  const waiting = new Map<string, (f: Record<string, unknown>) => void>();
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    const key = typeof frame['rid'] === 'string' ? frame['rid'] : frame['type'] === 'auth_ok' ? 'auth' : undefined;
    if (key !== undefined) waiting.get(key)?.(frame);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let closed: number | undefined;
  ws.once('close', (code) => (closed = code));
  const request = async (frame: Record<string, unknown>) => {
    const reply = new Promise<Record<string, unknown>>((resolve) => waiting.set(typeof frame['rid'] === 'string' ? frame['rid'] : 'auth', resolve));
    ws.send(JSON.stringify(frame));
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(frame).slice(0, 200)} (closed: ${closed})`)), 15_000).unref());
    return Promise.race([reply, timeout]);
  };
  try {
    await request({ type: 'auth', v: 1, token });
    return await use(request);
  } finally {
    ws.close();
  }
}

/** A chat's whole log, page by page. */
function readLog(url: string, token: string, chatId: string): Promise<Message[]> {
  return withConnection(url, token, async (request) => {
    const log: Message[] = [];
    for (let page = 0; ; page++) {
      const reply = await request({ type: 'history', rid: `log-${page}`, chatId, afterSeq: log.at(-1)?.seq ?? 0, limit: 500 });
      assert.equal(reply['type'], 'history', JSON.stringify(reply));
      log.push(...(reply['messages'] as Message[]));
      if (!reply['hasMore']) return log;
    }
  });
}

const sameBytes = (a: string, b: string) => Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));

describe('fuzz: hostile WebSocket frames never hurt the server (R13)', () => {
  it('every client frame type has a generator, and its frames pass the schema', async () => {
    const ctx: FrameFuzzContext = {
      memberChatIds: ['memberchat1'], otherChatIds: ['otherchat01'], token: 'token', mlsCommits: [], mlsMessages: [],
      maxEnvelopeBytes: 1024, maxFrameBytes: 5120,
    };
    assert.deepEqual([...CLIENT_FRAME_TYPES].sort(), ClientFrame.options.map((o) => o.shape.type.value).sort());
    await seeded(() => {
      for (const type of CLIENT_FRAME_TYPES) {
        fc.assert(fc.property(validFrame(type, ctx), (frame) => {
          const parsed = ClientFrame.safeParse(frame);
          assert.ok(parsed.success, `${type}: ${JSON.stringify(frame).slice(0, 300)}: ${parsed.error?.issues[0]?.message}`);
        }), { seed, numRuns: 300 });
      }
    });
  });

  it('a member device fuzzes every frame type and garbage; errors are stable codes, logs change only by what was acked, and people still talk', async (t) => {
    const problems: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({
      write(chunk: Buffer, _e, cb) {
        if ((JSON.parse(String(chunk)) as { level: number }).level >= 50) problems.push(String(chunk).slice(0, 1000));
        cb();
      },
    }));
    await using server = await startTestServer({}, { logger });
    const { url } = server;

    // An honest, end-to-end encrypted conversation: its real MLS payloads seed the mutations.
    const [alice, bob] = await Promise.all([createUser(url), createUser(url)]);
    if (!alice || !bob) throw new Error('users');
    await using _stop = { [Symbol.asyncDispose]: () => Promise.all([alice.client.stop(), bob.client.stop()]).then(() => undefined) };
    const honest = await alice.client.openDirect(bob.userId);
    await alice.client.sendText(honest.chatId, 'before the fuzz');
    const texts = (u: typeof alice, chatId: string) => u.client.timeline(chatId).filter((i) => !i.system && !i.unreadable).map((i) => i.text);
    await waitFor(() => texts(bob, honest.chatId).includes('before the fuzz'), { what: 'bob reads', timeoutMs: 20_000 });
    const payloads = (type: string) => alice.client.log(honest.chatId).flatMap((m) => (m.envelope?.contentType === type ? [m.envelope.payload] : []));

    // The fuzzing device (mallory) and the chats it is in: a direct chat, a group it owns, one it is a member of.
    const [mallory, vic, wendy] = await Promise.all([rawUser(url), rawUser(url), rawUser(url)]);
    const chatOf = (r: { chat: ChatSummary }) => r.chat.chatId;
    const direct = chatOf(await mallory.api.call('POST', '/chats/direct', { userId: vic.userId }));
    const owned = chatOf(await mallory.api.call('POST', '/chats', { name: 'owned', memberIds: [vic.userId, wendy.userId] }));
    const joined = chatOf(await vic.api.call('POST', '/chats', { name: 'joined', memberIds: [mallory.userId] }));
    const left = chatOf(await vic.api.call('POST', '/chats', { name: 'left', memberIds: [mallory.userId] }));
    await mallory.api.call('DELETE', `/chats/${left}/members/${mallory.userId}`);
    const memberChatIds = [direct, owned, joined];
    const ctx: FrameFuzzContext = {
      memberChatIds, otherChatIds: [honest.chatId, left, 'nochat_0000000'], token: mallory.token,
      mlsCommits: payloads('parley/mls-commit'), mlsMessages: payloads('parley/mls-app'),
      maxEnvelopeBytes: server.config.limits.maxEnvelopeBytes, maxFrameBytes: server.config.limits.maxFrameBytes,
    };
    assert.ok(ctx.mlsCommits.length > 0 && ctx.mlsMessages.length > 0, 'the honest chat has a commit and a message');
    const chatState = async (chatId: string) => ({
      log: await readLog(url, vic.token, chatId),
      epoch: (await vic.api.call<{ chat: ChatSummary }>('GET', `/chats/${chatId}`)).chat.mlsEpoch,
    });
    const before = new Map(await Promise.all(memberChatIds.map(async (c) => [c, await chatState(c)] as const)));
    const honestBefore = alice.client.log(honest.chatId).length;

    // Batches of frames; between them the honest conversation goes on.
    const fuzzer = new FrameFuzzer({ url, token: mallory.token, ctx, record: true });
    let between = 0;
    await seeded(() => fc.assert(fc.asyncProperty(fc.array(fuzzFrame(ctx), { minLength: 1, maxLength: 25 }), async (frames) => {
      const violations = fuzzer.stats.violations;
      await fuzzer.send(frames);
      assert.equal(fuzzer.stats.violations, violations, fuzzer.stats.firstViolations.join('\n'));
      between += 1;
      void alice.client.sendText(honest.chatId, `between ${between}`);
    }), { seed, numRuns: runs, interruptAfterTimeLimit: 30_000 * Math.max(1, runs / 300) }));
    // The same before sign-in: auth_required, and a failed auth closes with 4001.
    const anonCtx = { ...ctx, token: 'not-a-session-token' };
    const anonymous = new FrameFuzzer({ url, token: undefined, ctx: anonCtx });
    await seeded(() => fc.assert(fc.asyncProperty(fc.array(fuzzFrame(anonCtx), { minLength: 1, maxLength: 10 }), async (frames) => {
      const violations = anonymous.stats.violations;
      await anonymous.send(frames);
      assert.equal(anonymous.stats.violations, violations, anonymous.stats.firstViolations.join('\n'));
    }), { seed: seed + 1, numRuns: Math.ceil(runs / 5), interruptAfterTimeLimit: 10_000 * Math.max(1, runs / 300) }));
    fuzzer.close();
    anonymous.close();
    t.diagnostic(`${reproduce}\nmember: ${JSON.stringify(fuzzer.stats)}\nanonymous: ${JSON.stringify(anonymous.stats)}`);
    for (const type of CLIENT_FRAME_TYPES) assert.ok((fuzzer.stats.expected[`valid ${type}`] ?? 0) > 0, `no valid ${type} frame was sent`);
    assert.ok((fuzzer.stats.replies['ack'] ?? 0) > 0, 'some fuzzed sends were accepted');
    // R15: sends of the commit type were tried, and refused (an ack of one is a violation, and an entry it made a log entry nobody sent).
    assert.ok((fuzzer.stats.errors['mls_commit_not_sendable'] ?? 0) > 0, 'no send of a commit was refused');

    // People still talk: every message sent in between arrives, in order, and a new one both ways.
    await waitFor(() => alice.client.outbox().length === 0, { timeoutMs: 30_000, what: "alice's outbox empties" });
    await bob.client.sendText(honest.chatId, 'after the fuzz');
    await waitFor(() => texts(alice, honest.chatId).includes('after the fuzz'), { timeoutMs: 20_000, what: 'alice reads bob after the fuzz' });
    await waitFor(() => texts(bob, honest.chatId).length === between + 2, { timeoutMs: 20_000, what: 'bob reads all of alice' });
    assert.deepEqual(texts(bob, honest.chatId), ['before the fuzz', ...Array.from({ length: between }, (_, i) => `between ${i + 1}`), 'after the fuzz']);
    assert.ok(!alice.client.log(honest.chatId).slice(honestBefore).some((m) => m.senderUserId === mallory.userId), 'nothing from mallory in a chat it is not in');

    // Mallory's chats changed only by frames the server accepted (R1, R3, R15, R17).
    for (const chatId of memberChatIds) {
      const old = before.get(chatId)!;
      const now = await chatState(chatId);
      assert.deepEqual(now.log.slice(0, old.log.length), old.log, 'what was in the log stays');
      assert.deepEqual(now.log.map((m) => m.seq), now.log.map((_, i) => i + 1), 'no gaps (R3)');
      const added = now.log.slice(old.log.length);
      const sentFor = (m: Message): SentEntry[] => fuzzer.sent.filter((s) => s.chatId === chatId && s.clientMsgId === m.clientMsgId && m.envelope !== null
        && s.envelope.contentType === m.envelope.contentType && sameBytes(s.envelope.payload, m.envelope.payload));
      let commits = 0;
      let either = 0;
      for (const m of added) {
        assert.deepEqual([m.senderUserId, m.senderDeviceId, m.system], [mallory.userId, mallory.deviceId, null], `only mallory wrote: ${JSON.stringify(m).slice(0, 300)}`);
        const sent = sentFor(m);
        assert.ok(sent.length > 0, `a log entry nobody sent: ${JSON.stringify(m).slice(0, 300)}`);
        if (sent.every((s) => s.type === 'commit')) commits += 1;
        else if (sent.some((s) => s.type === 'commit')) either += 1;
      }
      assert.equal(new Set(added.map((m) => m.clientMsgId)).size, added.length, 'a client id at most once (R1)');
      for (const ack of fuzzer.acks.filter((a) => a.chatId === chatId)) {
        assert.ok(now.log.some((m) => m.seq === ack.seq && m.clientMsgId === ack.clientMsgId), `acked ${ack.clientMsgId} at ${ack.seq} is in the log (R2)`);
      }
      const acceptedCommits = fuzzer.acks.filter((a) => a.chatId === chatId && a.type === 'commit' && !a.duplicate).length;
      const moved = now.epoch - old.epoch;
      assert.ok(moved >= commits && moved <= commits + either && moved >= acceptedCommits, `the epoch moved ${moved} for ${commits}(+${either}) commits in the log, ${acceptedCommits} acked (R15)`);
    }

    // The fuzzed chats still carry an honest message.
    const ack = await withConnection(url, vic.token, (request) => request({ type: 'send', rid: 'after', chatId: direct, clientMsgId: 'vic-after-fuzz', envelope: { contentType: 'parley/plain+json', payload: Buffer.from('{"kind":"text","text":"hi"}').toString('base64') } }));
    assert.equal(ack['type'], 'ack', JSON.stringify(ack));
    assert.deepEqual(problems, [], 'the server logged no unhandled error');
  });
});
