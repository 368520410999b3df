import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  MLS_COMMIT_CONTENT_TYPE, MemoryStore, ParleyError, PlaintextCodec, RestApi, accounts, encodeCommitBundle, generateDeviceKey,
  type DeviceKey,
} from '@parley/client';
import type { ChatSummary } from '@parley/protocol';
import {
  commitFrame, createTestDatabase, createUser, everyNamePublic, mlsTestDevice, newClient, startGroup, startTestServer, waitFor, type TestUser,
} from '@parley/testing';
import type { PushSender } from '../src/domain/push.ts';
import { RawPeer } from './raw.ts';
import { migratedTemplate } from '../src/storage/postgres/migrated-databases.ts';

/**
 * docs/SECURITY.md, "Insiders": for every frame a member's device can send, what a hostile member
 * can make the server do to the others is bounded. Each test sets the bound low, has a hostile
 * device (Mallory's) go past it through the real server, and shows that the others are unaffected.
 */

interface Person {
  user: TestUser;
  userId: string;
  deviceId: string;
  key: DeviceKey;
  api: RestApi;
}

/** A user whose device the test drives by hand (REST and raw frames); no SDK running. */
async function person(baseUrl: string): Promise<Person> {
  const user = await createUser(baseUrl, { start: false });
  const { token } = await accounts.login(baseUrl, user.deviceId, user.deviceKey);
  return { user, userId: user.userId, deviceId: user.deviceId, key: user.deviceKey, api: new RestApi(baseUrl, token) };
}

const peer = (baseUrl: string, p: { deviceId: string; key: DeviceKey }) => RawPeer.authed(baseUrl, p.deviceId, (d) => p.key.sign(d));
const envelope = (text: string) => ({ contentType: 'parley/plain+json', payload: Buffer.from(JSON.stringify({ kind: 'text', text })).toString('base64') });
const tag = () => randomBytes(5).toString('hex');

async function group(owner: Person, members: Person[], name = 'building 7'): Promise<ChatSummary> {
  return (await owner.api.call<{ chat: ChatSummary }>('POST', '/chats', { name, memberIds: members.map((m) => m.userId) })).chat;
}

/** The error a REST call fails with (or undefined when it succeeds). */
async function outcome(call: Promise<unknown>): Promise<ParleyError | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    if (err instanceof ParleyError) return err;
    throw err;
  }
}

function assertRateLimited(err: { code?: unknown; retryAfter?: unknown } | undefined, what: string, minRetry = 1): void {
  assert.equal(err?.code, 'rate_limited', `${what}: ${JSON.stringify(err)}`);
  assert.ok(Number.isInteger(err?.retryAfter) && Number(err?.retryAfter) >= minRetry, `${what}: retryAfter ${String(err?.retryAfter)}`);
}

/** How many `rate_limited` errors the server has answered (its metrics). */
const rateLimitedCount = (metrics: string) => Number(/^parley_errors_total\{[^}]*code="rate_limited"[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
const frames = (p: RawPeer, type: string, from?: string) => p.frames.filter((f) => f['type'] === type && (from === undefined || f['userId'] === from));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('insiders: what a member\'s device can make the server do to others is bounded (docs/SECURITY.md)', () => {
  it('R11 send: a member\'s device flooding a chat gets its burst, then rate_limited; the others send and receive on', async () => {
    await using server = await startTestServer({ PARLEY_RATE_SEND_PER_SEC: '1', PARLEY_RATE_SEND_BURST: '5' });
    const [alice, mallory] = [await person(server.url), await person(server.url)];
    const { chatId } = await group(alice, [mallory]);
    const [pa, pm] = [await peer(server.url, alice), await peer(server.url, mallory)];
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      pm.request({ type: 'send', rid: `m${i}`, chatId, clientMsgId: `flood_${i}_${tag()}`, envelope: envelope(`spam ${i}`) })));
    const acks = replies.filter((r) => r['type'] === 'ack').length;
    assert.ok(acks >= 5 && acks <= 5 + Math.ceil((Date.now() - started) / 1000), `${acks} of 30 accepted`);
    assertRateLimited(replies.find((r) => r['type'] === 'error'), 'the 31st send');
    // An envelope over the size cap is refused whatever the bucket holds (R7).
    const big = await pm.request({ type: 'send', rid: 'big', chatId, clientMsgId: `big_${tag()}`, envelope: { contentType: 'parley/plain+json', payload: 'A'.repeat(70_000) } });
    assert.equal(big['code'], 'payload_too_large');
    // Alice's device has its own bucket: her message is accepted and Mallory's device receives it.
    const mine = await pa.request({ type: 'send', rid: 'a1', chatId, clientMsgId: `alice_${tag()}`, envelope: envelope('the meeting is at 7') });
    assert.equal(mine['type'], 'ack', JSON.stringify(mine));
    await pm.next((f) => f['type'] === 'message' && (f['message'] as { senderUserId: string }).senderUserId === alice.userId);
    assert.equal(frames(pa, 'message').filter((f) => (f['message'] as { senderUserId: string }).senderUserId === mallory.userId).length, acks);
    pa.close();
    pm.close();
  });

  it('R15 commit: a member\'s device gets PARLEY_RATE_COMMIT_PER_MIN checked commits per chat; lost races cost none, and the others commit on', { timeout: 30_000 }, async () => {
    await using server = await startTestServer({ PARLEY_RATE_COMMIT_PER_MIN: '3' });
    const [alice, mallory] = [await person(server.url), await person(server.url)];
    const [ma] = [await mlsTestDevice(server.url, alice.user), await mlsTestDevice(server.url, mallory.user)];
    const { chatId } = await group(alice, [mallory]);
    const [pa, pm] = [await peer(server.url, alice), await peer(server.url, mallory)];
    const start = await startGroup(ma, chatId, [mallory.userId]);
    assert.equal((await pa.request(commitFrame('a0', chatId, `start_${tag()}`, 0, start.envelope)))['type'], 'ack');
    start.session.mergePendingCommit();

    // Each commit at the chat's epoch is checked (R35), so even refused ones spend the bucket.
    const junk = { contentType: MLS_COMMIT_CONTENT_TYPE, payload: randomBytes(400).toString('base64') };
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await pm.request(commitFrame(`m${i}`, chatId, `junk_${i}_${tag()}`, 1, junk)));
    assert.deepEqual(replies.slice(0, 3).map((r) => r['code']), ['mls_commit_invalid', 'mls_commit_invalid', 'mls_commit_invalid']);
    for (const r of replies.slice(3)) assertRateLimited(r, 'a fourth commit in a minute', 10);
    // A commit for an epoch that has passed is not checked: an epoch_conflict, not a spent commit.
    assert.deepEqual([(await pm.request(commitFrame('old', chatId, `old_${tag()}`, 0, start.envelope)))['code']], ['epoch_conflict']);

    // Alice's device commits in the same chat from its own bucket, and Mallory's device gets the commit.
    const update = encodeCommitBundle(await start.session.update());
    const ack = await pa.request(commitFrame('a1', chatId, `update_${tag()}`, 1, update));
    assert.equal(ack['type'], 'ack', JSON.stringify(ack));
    await pm.next((f) => f['type'] === 'message' && (f['message'] as { seq: number }).seq === ack['seq']);
    pa.close();
    pm.close();
  });

  it('R4 history: a member\'s device reading pages in a loop gets rate_limited with retryAfter; another member\'s device syncs and reads, catching up more chats than its burst in small pages that cost a fraction of a token (R40)', { timeout: 30_000 }, async (t) => {
    await using server = await startTestServer({ PARLEY_RATE_HISTORY_PER_SEC: '2', PARLEY_RATE_HISTORY_BURST: '10' });
    const alice = await createUser(server.url, { codec: new PlaintextCodec() });
    t.after(() => alice.client.stop());
    const mallory = await person(server.url);
    const bob = await person(server.url);
    const chat = await alice.client.createGroup({ name: 'building 7', memberIds: [mallory.userId, bob.userId] });
    for (const text of ['water is off', 'the lift works again', 'meeting at 7']) await alice.client.sendText(chat.chatId, text);
    // Twelve more chats for Bob: a new device of his catches up 13 chats at once, more than its burst of 10 pages.
    const more: string[] = [];
    for (let i = 0; i < 12; i++) {
      const other = await alice.client.createGroup({ name: `street ${i}`, memberIds: [bob.userId] });
      await alice.client.sendText(other.chatId, `news from street ${i}`);
      more.push(other.chatId);
    }
    await waitFor(() => alice.client.outbox().length === 0, { what: 'sent' });

    const pm = await peer(server.url, mallory);
    const started = Date.now();
    // One token per 100 messages asked for: a page of 500 costs 5 of the 10, then pages of 100 cost 1.
    const first = await pm.request({ type: 'history', rid: 'h500', chatId: chat.chatId, afterSeq: 0, limit: 500 });
    assert.equal(first['type'], 'history');
    const replies = await Promise.all(Array.from({ length: 99 }, (_, i) => pm.request({ type: 'history', rid: `h${i}`, chatId: chat.chatId, afterSeq: 0, limit: 100 })));
    const pages = replies.filter((r) => r['type'] === 'history').length;
    assert.ok(pages >= 5 && pages <= 5 + 2 * Math.ceil((Date.now() - started) / 1000), `${pages} pages of 100 after a page of 500`);
    assertRateLimited(replies.find((r) => r['type'] === 'error'), 'a page past the burst');

    // Bob's device (a new store: it reads every chat) and Alice's are untouched by Mallory's bucket. His
    // 13 chats are more than a burst of 10 pages of 100, but the SDK asks for pages the size of each gap
    // (a few messages: 1/20 of a token each, R40), so none is refused.
    const refusedBefore = rateLimitedCount(await (await fetch(`${server.url}/metrics`)).text());
    const bobClient = newClient(server.url, bob.userId, bob.deviceId, bob.key, new MemoryStore(), new PlaintextCodec());
    t.after(() => bobClient.stop());
    await bobClient.start();
    await waitFor(() => bobClient.timeline(chat.chatId).some((i) => i.text === 'meeting at 7'), { what: 'bob synced the chat' });
    await waitFor(() => more.every((id, i) => bobClient.timeline(id).some((item) => item.text === `news from street ${i}`)), { what: 'bob caught up every chat', timeoutMs: 20_000 });
    assert.equal(rateLimitedCount(await (await fetch(`${server.url}/metrics`)).text()), refusedBefore, 'none of bob\'s small pages was refused');
    await alice.client.sendText(chat.chatId, 'and the bins go out on tuesday');
    await waitFor(() => bobClient.timeline(chat.chatId).some((i) => i.text.startsWith('and the bins')), { what: 'bob reads live' });
    pm.close();
  });

  it('R8 receipts: a member\'s device gets PARLEY_RATE_RECEIPT_* receipt frames; the others hear at most that many of its receipts and send theirs', async () => {
    await using server = await startTestServer({ PARLEY_RATE_RECEIPT_PER_SEC: '1', PARLEY_RATE_RECEIPT_BURST: '5' });
    const [alice, mallory] = [await person(server.url), await person(server.url)];
    const { chatId } = await group(alice, [mallory]);
    const [pa, pm] = [await peer(server.url, alice), await peer(server.url, mallory)];
    for (let i = 0; i < 40; i++) await pa.request({ type: 'send', rid: `s${i}`, chatId, clientMsgId: `msg_${i}_${tag()}`, envelope: envelope(`news ${i}`) });
    const started = Date.now();
    // Each receipt moves Mallory's pointer forward by one: without the bound each would be an event to every member's devices.
    for (let seq = 2; seq <= 41; seq++) pm.send({ type: 'receipt', chatId, kind: 'read', upToSeq: seq });
    await pm.next((f) => f['type'] === 'error' && f['code'] === 'rate_limited');
    await pause(300);
    const heard = frames(pa, 'receipt', mallory.userId).length;
    assert.ok(heard >= 5 && heard <= 5 + Math.ceil((Date.now() - started) / 1000), `alice heard ${heard} receipts of mallory's 40`);
    assertRateLimited(frames(pm, 'error').find((f) => f['code'] === 'rate_limited'), 'receipt past the burst');
    // Alice's own receipt goes through and reaches Mallory.
    pa.send({ type: 'receipt', chatId, kind: 'read', upToSeq: 41 });
    await pm.next((f) => f['type'] === 'receipt' && f['userId'] === alice.userId);
    pa.close();
    pm.close();
  });

  it('typing: a member\'s device gets PARLEY_RATE_TYPING_PER_SEC signals (burst 2x); the others see no more and type on', async () => {
    await using server = await startTestServer();
    const [alice, mallory] = [await person(server.url), await person(server.url)];
    const { chatId } = await group(alice, [mallory]);
    const [pa, pm] = [await peer(server.url, alice), await peer(server.url, mallory)];
    const started = Date.now();
    for (let i = 0; i < 50; i++) pm.send({ type: 'typing', chatId });
    await pm.next((f) => f['type'] === 'error' && f['code'] === 'rate_limited');
    await pause(300);
    const heard = frames(pa, 'typing', mallory.userId).length;
    assert.ok(heard >= 4 && heard <= 4 + 2 * Math.ceil((Date.now() - started) / 1000), `alice saw ${heard} of 50 typing signals`);
    pa.send({ type: 'typing', chatId });
    await pm.next((f) => f['type'] === 'typing' && f['userId'] === alice.userId);
    pa.close();
    pm.close();
  });

  it('ping: a connection over PARLEY_WS_FRAMES_PER_SEC is read no faster than its budget; nothing reaches others, whose pings and messages go on', async (t) => {
    await using server = await startTestServer({ PARLEY_WS_FRAMES_PER_SEC: '50' });
    const [alice, mallory] = [await person(server.url), await person(server.url)];
    const { chatId } = await group(alice, [mallory]);
    const [pa, pm] = [await peer(server.url, alice), await peer(server.url, mallory)];
    // 1,500 pings in 1 s, in small batches: the first 500 (the burst) are answered at once, the rest at 50 a second.
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 50; j++) pm.send({ type: 'ping', rid: `p${i}_${j}` });
      await pause(33);
    }
    const sentFor = (Date.now() - started) / 1000;
    const answered = frames(pm, 'pong').length;
    t.diagnostic(`${answered} of 1,500 pings answered while they were sent (${sentFor.toFixed(1)} s)`);
    // The burst, 50 a second, and what one read brings after a pause (frames already in the socket).
    assert.ok(answered <= 500 + 50 * sentFor + 250, `${answered} of 1,500 pings answered while they were sent (${sentFor.toFixed(1)} s)`);
    const throttled = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(throttled, /^parley_ws_throttled_total(\{[^}]*\})? [1-9]/m);
    // Alice's connection has its own budget: her ping is answered at once and her message delivered.
    const t0 = Date.now();
    assert.equal((await pa.request({ type: 'ping', rid: 'alice_ping' }))['type'], 'pong');
    assert.ok(Date.now() - t0 < 1000, 'alice answered promptly');
    assert.equal((await pa.request({ type: 'send', rid: 'a1', chatId, clientMsgId: `alice_${tag()}`, envelope: envelope('still here') }))['type'], 'ack');
    assert.equal(frames(pa, 'pong').length, 0, 'no pong of mallory\'s reached alice (hers was taken by the request)');
    pa.close();
    pm.close();
  });

  it('R14 R41 R20 key packages and key-log entries: counts and sizes per device; claims only for a chat\'s members, and a user\'s one-time ones go at PARLEY_KEY_PACKAGE_CLAIMS_PER_TARGET_PER_HOUR', async () => {
    await using server = await startTestServer({ PARLEY_KEY_PACKAGE_CLAIMS_PER_TARGET_PER_HOUR: '3' });
    const [alice, mallory, bob] = [await person(server.url), await person(server.url), await person(server.url)];
    const kp = (i: number) => Buffer.from(`key package ${i} ${tag()}`).toString('base64');
    for (let call = 0; call < 10; call++) {
      await mallory.api.call('POST', '/keypackages', { keyPackages: Array.from({ length: 100 }, (_, i) => kp(call * 100 + i)) });
    }
    assert.equal((await outcome(mallory.api.call('POST', '/keypackages', { keyPackages: [kp(-1)] })))?.code, 'bad_request', 'past 1,000 stored');
    const huge = Buffer.alloc(13 * 1024, 1).toString('base64');
    assert.equal((await outcome(mallory.api.call('POST', '/keypackages', { keyPackages: [], lastResort: huge })))?.code, 'bad_request', 'over 12 KiB');
    // Claims (R41): Mallory, in a chat with Alice, claims hers again and again. Three take one-time key
    // packages; after that Alice's device hands out its last-resort one and keeps the rest.
    await alice.api.call('POST', '/keypackages', { keyPackages: [0, 1, 2, 3, 4].map((i) => kp(1000 + i)), lastResort: kp(2000) });
    const { chatId } = await group(mallory, [alice]);
    const claims = [];
    for (let i = 0; i < 6; i++) claims.push((await mallory.api.call<{ keyPackages: { lastResort: boolean }[] }>('POST', '/keypackages/claim', { chatId, userIds: [alice.userId] })).keyPackages);
    assert.deepEqual(claims.map((k) => k.map((p) => p.lastResort)), [[false], [false], [false], [true], [true], [true]]);
    assert.equal((await alice.api.call<{ available: number }>('GET', '/keypackages/count')).available, 2);
    // Someone outside the chat, or a chat Mallory is not in, gives nothing.
    assert.equal((await outcome(mallory.api.call('POST', '/keypackages/claim', { chatId, userIds: [bob.userId] })))?.code, 'forbidden');
    const { chatId: theirs } = await group(alice, [bob]);
    assert.equal((await outcome(mallory.api.call('POST', '/keypackages/claim', { chatId: theirs, userIds: [alice.userId] })))?.code, 'not_member');
    // Alice's device adding Mallory claims from Mallory's budget, not from its own.
    assert.equal((await alice.api.call<{ keyPackages: { lastResort: boolean }[] }>('POST', '/keypackages/claim', { chatId, userIds: [mallory.userId] })).keyPackages[0]?.lastResort, false);
    // One key-log entry per device, ever (R20): a second key is refused, the log does not grow.
    const md = await mlsTestDevice(server.url, mallory.user, { keyPackages: 0 });
    const other = await mlsTestDevice(server.url, mallory.user, { keyPackages: 0, publish: false });
    assert.equal((await outcome(md.api.call('POST', '/key-log', await other.identity.keyLogProof())))?.code, 'mls_key_conflict');
    const log = await alice.api.call<{ head: { index: number } }>('GET', `/users/${mallory.userId}/key-log`);
    assert.equal(log.head.index, 1);
  });

  it('R23-R27 device links and device additions: PARLEY_RATE_DEVICES_PER_DAY per account, by any path; revoking is never limited', async () => {
    await using server = await startTestServer({ PARLEY_RATE_DEVICES_PER_DAY: '2' });
    const [alice, mallory] = [await person(server.url), await person(server.url)];
    await group(mallory, [alice]);
    const pa = await peer(server.url, alice);
    const recover = async () => {
      const key = await generateDeviceKey();
      const added = await accounts.recover(server.url, { handle: mallory.user.handle, recoveryCode: mallory.user.recoveryCode, device: { name: 'another', publicKey: key.publicKey } });
      mallory.user.recoveryCode = added.recoveryCode ?? mallory.user.recoveryCode;
      return added.deviceId;
    };
    const added = [await recover(), await recover()];
    // The third addition is refused before the recovery code is used up: the same code still works later.
    const code = mallory.user.recoveryCode;
    assertRateLimited(await outcome(recover()), 'a third device in a day', 3600);
    assert.equal(mallory.user.recoveryCode, code);
    // A link approval with the right code is refused too, and the request stays pending.
    const key = await generateDeviceKey();
    const link = await new RestApi(server.url).call<{ linkId: string; code: string }>('POST', '/devices/link', { handle: mallory.user.handle, device: { name: 'tablet', publicKey: key.publicKey } });
    assertRateLimited(await outcome(mallory.api.call('POST', `/devices/link/${link.linkId}/approve`, { code: link.code })), 'an approval past the limit', 3600);
    assert.equal((await new RestApi(server.url).call<{ status: string }>('GET', `/devices/link/${link.linkId}`)).status, 'pending');
    // Revoking is never limited: it undoes an addition.
    for (const deviceId of added) await mallory.api.call('DELETE', `/devices/${deviceId}`);
    // Alice's chat heard of Mallory's devices changing 4 times (2 added, 2 revoked), no more.
    await pause(200);
    assert.equal(frames(pa, 'chat').length, 4);
    // Alice's account has its own bucket.
    const aliceKey = await generateDeviceKey();
    await accounts.recover(server.url, { handle: alice.user.handle, recoveryCode: alice.user.recoveryCode, device: { name: 'laptop', publicKey: aliceKey.publicKey } });
    pa.close();
  });

  it('R10 member and role changes: PARLEY_RATE_MEMBER_CHANGES_PER_MIN per chat; removing and leaving are never limited; a class of 30 fits the default', { timeout: 30_000 }, async () => {
    await using server = await startTestServer({ PARLEY_RATE_MEMBER_CHANGES_PER_MIN: '5' });
    const [alice, mallory, bob, extra] = [await person(server.url), await person(server.url), await person(server.url), await person(server.url)];
    const chat = await group(mallory, [alice, bob]);
    const pa = await peer(server.url, alice);
    // Mallory, the group's owner, churns a member in and out.
    let adds = 0;
    let refused: ParleyError | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      refused = await outcome(mallory.api.call('POST', `/chats/${chat.chatId}/members`, { userId: extra.userId }));
      if (refused) break;
      adds += 1;
      await mallory.api.call('DELETE', `/chats/${chat.chatId}/members/${extra.userId}`);
    }
    assert.ok(adds >= 5 && adds <= 6, `${adds} adds`);
    assertRateLimited(refused, 'an add past the per-chat limit');
    assertRateLimited(await outcome(mallory.api.call('PUT', `/chats/${chat.chatId}/members/${alice.userId}/role`, { role: 'admin' })), 'a role change');
    assertRateLimited(await outcome(mallory.api.call('PATCH', `/chats/${chat.chatId}`, { color: '#123456' })), 'a recolour');
    // Leaving (and removing) is never refused.
    await bob.api.call('DELETE', `/chats/${chat.chatId}/members/${bob.userId}`);
    await pause(200);
    const events = frames(pa, 'chat').length;
    // Each add and each removal is one chat event for Alice's device (an MLS commit for one device of the group).
    assert.ok(events <= 2 * adds + 1, `alice's device heard ${events} chat changes`);
    // The bucket is the chat's: Alice's own group is not touched by it.
    const own = await group(alice, []);
    await alice.api.call('POST', `/chats/${own.chatId}/members`, { userId: extra.userId });
    pa.close();

    // A school class of 30 added at once fits the default (60 per minute per chat).
    await using plain = await startTestServer({ PARLEY_RATE_MEMBER_CHANGES_PER_MIN: '60' });
    const teacher = await person(plain.url);
    const pupils = await Promise.all(Array.from({ length: 30 }, () => person(plain.url)));
    const { chatId } = await group(teacher, []);
    for (const pupil of pupils) await teacher.api.call('POST', `/chats/${chatId}/members`, { userId: pupil.userId });
    assert.equal((await teacher.api.call<{ chat: ChatSummary }>('GET', `/chats/${chatId}`)).chat.members.length, 31);
  });

  it('invites: PARLEY_RATE_INVITES_PER_HOUR per user; joining through one is a member change of the chat; other admins create theirs', async () => {
    await using server = await startTestServer({ PARLEY_RATE_INVITES_PER_HOUR: '3', PARLEY_RATE_MEMBER_CHANGES_PER_MIN: '2' });
    const [alice, mallory, guest1, guest2, guest3] = [await person(server.url), await person(server.url), await person(server.url), await person(server.url), await person(server.url)];
    const chat = await group(alice, [mallory]);
    await alice.api.call('PUT', `/chats/${chat.chatId}/members/${mallory.userId}/role`, { role: 'admin' });
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push((await mallory.api.call<{ token: string }>('POST', `/chats/${chat.chatId}/invites`)).token);
    assertRateLimited(await outcome(mallory.api.call('POST', `/chats/${chat.chatId}/invites`)), 'a fourth invite in an hour', 60);
    const { token } = await alice.api.call<{ token: string }>('POST', `/chats/${chat.chatId}/invites`);
    // The role change took one of the chat's two member changes a minute; one join takes the other.
    await guest1.api.call('POST', `/invites/${tokens[0]}/join`);
    assertRateLimited(await outcome(guest2.api.call('POST', `/invites/${token}/join`)), 'a join past the chat\'s member changes');
    // The preview stays open to anyone signed in who holds the token (no change, no limit beyond REST's).
    assert.equal((await guest3.api.call<{ memberCount: number }>('GET', `/invites/${token}`)).memberCount, 3);
  });

  it('chat create: PARLEY_RATE_CHATS_PER_HOUR per user (groups and new direct chats); an existing direct chat costs nothing', async () => {
    await using server = await startTestServer({ PARLEY_RATE_CHATS_PER_HOUR: '3' });
    const [alice, mallory, bob] = [await person(server.url), await person(server.url), await person(server.url)];
    const pa = await peer(server.url, alice);
    await mallory.api.call('POST', '/chats/direct', { userId: alice.userId });
    for (let i = 0; i < 2; i++) await group(mallory, [alice], `spam ${i}`);
    assertRateLimited(await outcome(group(mallory, [alice], 'spam 3')), 'a fourth chat in an hour', 60);
    assertRateLimited(await outcome(mallory.api.call('POST', '/chats/direct', { userId: bob.userId })), 'a new direct chat');
    await mallory.api.call('POST', '/chats/direct', { userId: alice.userId });
    await pause(200);
    assert.equal(frames(pa, 'chat').length, 3, 'alice was put in 3 chats, no more');
    // Alice creates hers.
    await group(alice, [bob]);
    pa.close();
  });

  it('R29 rejoin: PARLEY_RATE_REJOIN_PER_HOUR per device and chat; the others hear no more asks and ask for themselves', async () => {
    await using server = await startTestServer({ PARLEY_RATE_REJOIN_PER_HOUR: '2' });
    const [alice, mallory, bob] = [await person(server.url), await person(server.url), await person(server.url)];
    const { chatId } = await group(alice, [mallory, bob]);
    const pa = await peer(server.url, alice);
    const asks = [];
    for (let i = 0; i < 5; i++) asks.push(await outcome(mallory.api.call('POST', `/chats/${chatId}/rejoin`)));
    assert.deepEqual(asks.slice(0, 2), [undefined, undefined]);
    for (const err of asks.slice(2)) assertRateLimited(err, 'a third ask in an hour', 60);
    await bob.api.call('POST', `/chats/${chatId}/rejoin`);
    await pa.next((f) => f['type'] === 'rejoin_requested' && f['userId'] === bob.userId);
    assert.equal(frames(pa, 'rejoin_requested', mallory.userId).length, 2);
    pa.close();
  });

  it('R12 R11 in a cluster: a chat\'s member changes and a user\'s pushes are limited once for all nodes', { timeout: 60_000 }, async () => {
    await using db = await createTestDatabase('parley_c', migratedTemplate);
    const pushes: string[] = [];
    const pushSender: PushSender = { publicKey: 'test', send: async (sub) => { pushes.push(sub.userId); return { gone: false }; } };
    const env = { PARLEY_DATABASE_URL: db.url, PARLEY_RATE_MEMBER_CHANGES_PER_MIN: '4', PARLEY_PUSH_MIN_INTERVAL_MS: '60000' };
    await using node1 = await startTestServer({ ...env, PARLEY_NODE_ID: 'node1' }, { pushSender, hostResolver: everyNamePublic });
    await using node2 = await startTestServer({ ...env, PARLEY_NODE_ID: 'node2' }, { pushSender, hostResolver: everyNamePublic });
    const [mallory, alice, bob] = [await person(node1.url), await person(node1.url), await person(node1.url)];
    const on2 = new RestApi(node2.url, mallory.api.token);
    const chat = await group(mallory, [alice]);
    // Bob is offline with a push subscription: the messages below come through both nodes.
    await bob.api.call('POST', '/push/subscriptions', { endpoint: 'https://push.example/bob', keys: { p256dh: 'BPxxxx', auth: 'xxxx' } });
    await mallory.api.call('POST', `/chats/${chat.chatId}/members`, { userId: bob.userId });
    await on2.call('PUT', `/chats/${chat.chatId}/members/${alice.userId}/role`, { role: 'admin' });
    const [p1, p2] = [await peer(node1.url, mallory), await peer(node2.url, mallory)];
    for (const [i, p] of [p1, p2, p1, p2].entries()) {
      assert.equal((await p.request({ type: 'send', rid: `s${i}`, chatId: chat.chatId, clientMsgId: `m_${i}_${tag()}`, envelope: envelope(`hi ${i}`) }))['type'], 'ack');
      await pause(300); // each message its own push window (250 ms)
    }
    await pause(300);
    assert.deepEqual(pushes, [bob.userId], 'one push to bob in the interval, whichever node the message came through');
    // Two changes through node 1, then node 2 has the chat's last two, and both then refuse.
    await mallory.api.call('DELETE', `/chats/${chat.chatId}/members/${bob.userId}`);
    await on2.call('POST', `/chats/${chat.chatId}/members`, { userId: bob.userId });
    await mallory.api.call('PUT', `/chats/${chat.chatId}/members/${alice.userId}/role`, { role: 'member' });
    assertRateLimited(await outcome(on2.call('PUT', `/chats/${chat.chatId}/members/${alice.userId}/role`, { role: 'admin' })), 'node 2, past the chat\'s limit');
    assertRateLimited(await outcome(mallory.api.call('PUT', `/chats/${chat.chatId}/members/${alice.userId}/role`, { role: 'admin' })), 'node 1, past the chat\'s limit');
    p1.close();
    p2.close();
  });
});
