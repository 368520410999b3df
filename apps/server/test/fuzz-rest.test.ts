// Property-based, seeded fuzzing of every REST route the server registers (R13): mutated JSON
// bodies, wrong content types, odd path parameters and query strings, odd Authorization headers,
// oversized bodies. Reproduce a failure with the seed it prints: PARLEY_FUZZ_SEED=<n>.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import { accounts, generateDeviceKey, RestApi } from '@parley/client';
import { API_PREFIX, ERROR_CODES, isErrorCode, type ChatSummary } from '@parley/protocol';
import {
  createUser, everyNamePublic, fuzzRequest, outsideChannelKey, fuzzSeed, hasRestGenerator, startTestServer, uniqueHandle, waitFor,
  type FuzzRequest, type RestFuzzContext,
} from '@parley/testing';

const seed = fuzzSeed();
const reproduce = `fuzz seed ${seed}; reproduce with PARLEY_FUZZ_SEED=${seed} node scripts/run-tests.mjs fuzz`;
/** Requests per route; PARLEY_FUZZ_RUNS scales it (it counts frame batches in fuzz-ws). */
const perRoute = Math.max(5, Math.round(Number(process.env['PARLEY_FUZZ_RUNS'] ?? 300) / 12));

async function rawUser(url: string) {
  const user = await createUser(url, { start: false });
  const { token } = await accounts.login(url, user.deviceId, user.deviceKey);
  return { ...user, token, api: new RestApi(url, token) };
}

/** What the server must do with any request: no 5xx (but a feature it is not set up for), and under the API prefix every error is `{error: {code, message}}` with a stable code whose status it is. */
async function check(url: string, req: FuzzRequest): Promise<string> {
  const res = await fetch(url + req.path, {
    method: req.method, headers: req.headers, signal: AbortSignal.timeout(15_000),
    ...(req.body === undefined ? {} : { body: typeof req.body === 'string' ? req.body : new Uint8Array(req.body) }),
  });
  const text = await res.text();
  const code = res.status >= 400 ? /"code":"(\w+)"/.exec(text)?.[1] : undefined;
  const what = `${req.method} ${req.path.slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`;
  // 503 calls_unavailable is the documented answer of a server without TURN or SFU (R60, R62), not a failure.
  assert.ok(res.status < 500 || code === 'calls_unavailable', `a server error for client bytes: ${what}`);
  // tus answers these in its own plain-text body (R53); every other error is Parley's.
  const tusOwn = req.path.startsWith(`${API_PREFIX}/blobs`) && [409, 410, 412, 415, 460].includes(res.status);
  if (res.status >= 400 && req.path.startsWith(API_PREFIX) && req.method !== 'HEAD' && !tusOwn) {
    let body: { error?: { code?: unknown; message?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      assert.fail(`an error that is not JSON: ${what}`);
    }
    const code = body.error?.code;
    assert.ok(isErrorCode(code), `an error without a stable code: ${what}`);
    assert.equal(ERROR_CODES[code], res.status, `the status of ${code} is ${ERROR_CODES[code]}: ${what}`);
    assert.equal(typeof body.error?.message, 'string', what);
  }
  return code === undefined ? String(res.status) : `${res.status} ${code}`;
}

describe('fuzz: hostile REST requests never hurt the server (R13)', () => {
  it('every route gets mutated bodies, odd params, content types and headers, oversized bodies: no 5xx, stable codes; people still talk', async (t) => {
    const problems: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({
      write(chunk: Buffer, _e, cb) {
        if ((JSON.parse(String(chunk)) as { level: number }).level >= 50) problems.push(String(chunk).slice(0, 1000));
        cb();
      },
    }));
    // Push subscriptions the fuzz stores must not reach the network (nor DNS: every name is one public address, R37).
    const pushSender = { publicKey: 'BPushKeyForTests', send: async () => ({ gone: false }) };
    await using server = await startTestServer({
      PARLEY_MAX_HTTP_BODY_BYTES: '32768', PARLEY_RATE_DEVICE_LINK_PER_HOUR: '1000000', PARLEY_RATE_DEVICE_LINK_POLL_PER_SEC: '100000', PARLEY_DEVICE_LINK_MAX_PENDING: '1000',
    }, { logger, pushSender, hostResolver: everyNamePublic });
    const { url } = server;

    const [alice, bob] = await Promise.all([createUser(url), createUser(url)]);
    if (!alice || !bob) throw new Error('users');
    await using _stop = { [Symbol.asyncDispose]: () => Promise.all([alice.client.stop(), bob.client.stop()]).then(() => undefined) };
    const honest = await alice.client.openDirect(bob.userId);
    const honestMembers = alice.client.chat(honest.chatId)?.members.map((m) => m.userId).sort();

    // The fuzzing user (mallory), its chats, and ids the server handed out for it to aim at.
    const [mallory, vic, wendy] = await Promise.all([rawUser(url), rawUser(url), rawUser(url)]);
    const chatOf = (r: { chat: ChatSummary }) => r.chat.chatId;
    const direct = chatOf(await mallory.api.call('POST', '/chats/direct', { userId: vic.userId }));
    const owned = chatOf(await mallory.api.call('POST', '/chats', { name: 'owned', memberIds: [vic.userId, wendy.userId] }));
    const joined = chatOf(await vic.api.call('POST', '/chats', { name: 'joined', memberIds: [mallory.userId] }));
    const other = chatOf(await vic.api.call('POST', '/chats', { name: 'other', memberIds: [wendy.userId] }));
    const invites = await Promise.all([mallory.api.call<{ token: string }>('POST', `/chats/${owned}/invites`), vic.api.call<{ token: string }>('POST', `/chats/${other}/invites`)]);
    const linkIds = await Promise.all([1, 2, 3].map(async () => {
      const key = await generateDeviceKey();
      return (await new RestApi(url).call<{ linkId: string }>('POST', '/devices/link', { handle: mallory.handle, device: { name: 'new phone', publicKey: key.publicKey } })).linkId;
    }));
    const registerFlow = await accounts.passkeyRegisterOptions(url, { handle: uniqueHandle('pk'), displayName: 'Passkey Person' });
    const loginFlow = await accounts.passkeyLoginOptions(url);
    const addFlow = await mallory.api.call<{ flowId: string }>('POST', '/passkeys/add/options');
    // R53: uploads of mallory's (finished and not) and one of vic's, referenced in a chat mallory is in or not.
    const upload = async (token: string, bytes: number, finish: boolean) => {
      const headers = { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' };
      const res = await fetch(`${url}${API_PREFIX}/blobs`, { method: 'POST', headers: { ...headers, 'upload-length': String(bytes) } });
      const id = res.headers.get('location')?.split('/').at(-1) ?? '';
      if (finish) {
        await fetch(`${url}${API_PREFIX}/blobs/${id}`, { method: 'PATCH', headers: { ...headers, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: new Uint8Array(bytes) });
      }
      return id;
    };
    const blobIds = [await upload(mallory.token, 100, true), await upload(mallory.token, 1000, false), await upload(vic.token, 50, true)];
    // R95-R99: a channel of mallory's and one of alice's.
    const ownerKey = outsideChannelKey();
    const malloryChannelId = 'mallory_channel_1';
    const channels = [
      (await mallory.api.call<{ channel: { channelId: string; handle: string } }>('POST', '/channels', {
        handle: uniqueHandle('mc').slice(0, 30), title: 'Mallory news',
        keyList: ownerKey.signKeyList({ v: 1, channelId: malloryChannelId, version: 1, owner: ownerKey.publicKey, admins: [{ userId: mallory.userId, key: ownerKey.publicKey }] }),
      })).channel,
      await alice.client.channels.create({ handle: uniqueHandle('ch').slice(0, 30), title: 'Alice news' }),
    ];
    const ctx: RestFuzzContext = {
      token: mallory.token, userId: mallory.userId, deviceId: mallory.deviceId, handle: mallory.handle,
      userIds: [vic.userId, wendy.userId, alice.userId, bob.userId, vic.deviceId, alice.deviceId], handles: [vic.handle, alice.handle],
      chatIds: [direct, owned, joined], otherChatIds: [honest.chatId, other],
      linkIds, inviteTokens: invites.map((i) => i.token), registerFlowId: registerFlow.flowId, loginFlowId: loginFlow.flowId, addFlowId: addFlow.flowId, blobIds,
      maxBodyBytes: server.config.limits.maxHttpBodyBytes,
      channelIds: channels.map((c) => c.channelId), channelHandles: channels.map((c) => c.handle),
    };

    const missing = server.routes.filter((r) => !hasRestGenerator(r.method, r.url)).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, [], 'every route has a fuzz generator (packages/testing/src/fuzz-rest.ts)');
    const outcomes: Record<string, number> = {};
    for (const [i, route] of server.routes.entries()) {
      try {
        await fc.assert(fc.asyncProperty(fuzzRequest(route.method, route.url, ctx), async (req) => {
          const outcome = await check(url, req);
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        }), { seed: seed + i, numRuns: perRoute });
      } catch (err) {
        throw new Error(`${reproduce}\n${route.method} ${route.url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }
    t.diagnostic(`${reproduce}\n${server.routes.length} routes × ${perRoute} requests; answers ${JSON.stringify(outcomes)}`);

    // Mallory's session still works, the honest chat is untouched, and people still talk.
    assert.equal((await mallory.api.call<{ user: { userId: string } }>('GET', '/me')).user.userId, mallory.userId);
    await bob.client.sendText(honest.chatId, 'after the fuzz');
    const texts = (u: typeof alice) => u.client.timeline(honest.chatId).filter((m) => !m.system && !m.unreadable).map((m) => m.text);
    await waitFor(() => texts(alice).includes('after the fuzz'), { timeoutMs: 20_000, what: 'alice reads bob after the fuzz' });
    await alice.client.sendText(honest.chatId, 'and back');
    await waitFor(() => texts(bob).includes('and back'), { timeoutMs: 20_000, what: 'bob reads alice after the fuzz' });
    assert.deepEqual(alice.client.chat(honest.chatId)?.members.map((m) => m.userId).sort(), honestMembers, 'the honest chat has its members');
    assert.ok(!alice.client.log(honest.chatId).some((m) => m.senderUserId === mallory.userId), 'nothing from mallory in a chat it is not in');
    assert.deepEqual(problems, [], 'the server logged no unhandled error');
  });
});
