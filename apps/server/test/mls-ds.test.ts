import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MLS_COMMIT_CONTENT_TYPE, MlsGroupSession, ParleyError, RestApi, accounts, decodeCommitBundle, encodeCommitBundle, generateDeviceKey, type DeviceKey } from '@parley/client';
import type { ChatSummary, ClaimKeyPackagesResponse, Envelope, KeyPackageCountResponse } from '@parley/protocol';
import { commitFrame, createUser, mlsTestDevice, startGroup, startTestServer, type TestUser } from '@parley/testing';
import { loadConfig } from '../src/config.ts';
import { RawPeer } from './raw.ts';

/** The MLS delivery service end to end (docs/PROTOCOL.md R14-R17, R35): raw frames and plain REST, real MLS. */

interface Device {
  userId: string;
  deviceId: string;
  key: DeviceKey;
  api: RestApi;
}

async function signIn(baseUrl: string, userId: string, deviceId: string, key: DeviceKey): Promise<Device> {
  const { token } = await accounts.login(baseUrl, deviceId, key);
  return { userId, deviceId, key, api: new RestApi(baseUrl, token) };
}

/** A user made through the SDK, not started: the test speaks REST and raw frames itself. */
async function person(baseUrl: string): Promise<Device & { user: TestUser }> {
  const user = await createUser(baseUrl, { start: false });
  return { ...(await signIn(baseUrl, user.userId, user.deviceId, user.deviceKey)), user };
}

/** A second device of the user, signed in with the recovery code (which is then replaced). */
async function secondDevice(baseUrl: string, user: TestUser): Promise<Device> {
  const key = await generateDeviceKey();
  const added = await accounts.recover(baseUrl, { handle: user.handle, recoveryCode: user.recoveryCode, device: { name: 'laptop', publicKey: key.publicKey } });
  return signIn(baseUrl, user.userId, added.deviceId, key);
}

const peer = (baseUrl: string, d: Device) => RawPeer.authed(baseUrl, d.deviceId, (bytes) => d.key.sign(bytes));
const b64 = (bytes: Uint8Array | number[]): string => Buffer.from(bytes).toString('base64');
const label = (keyPackage: string): string => Buffer.from(keyPackage, 'base64').toString();
const kp = (text: string): string => b64(Buffer.from(text));
const DAY = 86_400_000;

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ParleyError> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    return err instanceof ParleyError && err.code === code;
  });
  return caught as ParleyError;
}

async function group(owner: Device, members: { userId: string }[]): Promise<ChatSummary> {
  const { chat } = await owner.api.call<{ chat: ChatSummary }>('POST', '/chats', { name: 'mls group', memberIds: members.map((m) => m.userId) });
  return chat;
}

/** A commit frame with an opaque payload (what a non-member sends: refused before any look at it). */
function rawCommitFrame(rid: string, chatId: string, clientMsgId: string, epoch: number, payload: string): Record<string, unknown> {
  return commitFrame(rid, chatId, clientMsgId, epoch, { contentType: 'message/mls', payload });
}

describe('MLS delivery service', () => {
  it('R14 key packages: a device uploads its own, claims take one per non-revoked device once, then the last resort', async () => {
    const t0 = Date.now();
    await using server = await startTestServer({}, { clock: { now: () => t0 } }); // no time passes: nothing ages
    const alice = await person(server.url);
    const bob = await person(server.url);
    const bobLaptop = await secondDevice(server.url, bob.user);

    const afterUpload = await bob.api.call<KeyPackageCountResponse>('POST', '/keypackages', { keyPackages: [kp('b1-one'), kp('b1-two')], lastResort: kp('b1-last') });
    assert.deepEqual(afterUpload, { available: 2, lastResort: true, lastResortAgeMs: 0 });
    await bobLaptop.api.call('POST', '/keypackages', { keyPackages: [kp('b2-one')] });
    assert.deepEqual(await bobLaptop.api.call('GET', '/keypackages/count'), { available: 1, lastResort: false });

    const { chatId } = await group(alice, [bob]);
    const claim = async (by: Device, userIds: string[]) =>
      (await by.api.call<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId, userIds })).keyPackages
        .map((k) => [k.userId, k.deviceId, label(k.keyPackage), k.lastResort]);
    const devices = [bob.deviceId, bobLaptop.deviceId].sort();
    const first = await claim(alice, [bob.userId, alice.userId]);
    assert.deepEqual(first.map((k) => k[1]), devices, 'one key package per device of bob; none of alice, who has none');
    assert.deepEqual(first.map((k) => k[2]).sort(), ['b1-one', 'b2-one']);
    assert.deepEqual(await claim(alice, [bob.userId]), [[bob.userId, bob.deviceId, 'b1-two', false]], 'the laptop has none left and no last resort');
    assert.deepEqual(await claim(alice, [bob.userId]), [[bob.userId, bob.deviceId, 'b1-last', true]]);
    assert.deepEqual(await claim(alice, [bob.userId]), [[bob.userId, bob.deviceId, 'b1-last', true]], 'the last resort is not consumed');
    assert.deepEqual(await bob.api.call('GET', '/keypackages/count'), { available: 0, lastResort: true, lastResortAgeMs: 0 });

    // A new last resort replaces the old one; bob's own device never claims itself.
    await bob.api.call('POST', '/keypackages', { keyPackages: [], lastResort: kp('b1-last-2') });
    assert.deepEqual(await claim(bob, [bob.userId]), [], 'the laptop has nothing; the caller itself is skipped');
    assert.deepEqual(await claim(alice, [bob.userId]), [[bob.userId, bob.deviceId, 'b1-last-2', true]]);

    // Revoking a device deletes its key packages: it is never claimed again.
    await bobLaptop.api.call('POST', '/keypackages', { keyPackages: [kp('b2-two')], lastResort: kp('b2-last') });
    await bob.api.call('DELETE', `/devices/${bobLaptop.deviceId}`);
    assert.deepEqual((await claim(alice, [bob.userId])).map((k) => k[1]), [bob.deviceId]);
  });

  it('R14 a key package uploaded more than PARLEY_KEY_PACKAGE_MAX_AGE_MS (default 21 days) ago is never handed out, and is deleted', async () => {
    let now = Date.now();
    const t0 = now;
    await using server = await startTestServer({}, { clock: { now: () => now } });
    const alice = await person(server.url);
    const bob = await person(server.url);
    const carol = await person(server.url);
    await bob.api.call('POST', '/keypackages', { keyPackages: [kp('old-1'), kp('old-2')], lastResort: kp('old-last') });
    await carol.api.call('POST', '/keypackages', { keyPackages: [kp('carol-old')] });
    now += 10 * DAY;
    assert.deepEqual(await bob.api.call('POST', '/keypackages', { keyPackages: [kp('new-1')] }), { available: 3, lastResort: true, lastResortAgeMs: 10 * DAY });
    now = t0 + 21 * DAY;
    assert.deepEqual(await bob.api.call('GET', '/keypackages/count'), { available: 3, lastResort: true, lastResortAgeMs: 21 * DAY }, 'exactly the max age: still fresh');
    now += 1;
    assert.deepEqual(await bob.api.call('GET', '/keypackages/count'), { available: 1, lastResort: false }, 'only fresh ones count; the last resort went stale');

    const { chatId } = await group(alice, [bob, carol]);
    const claim = async () => (await alice.api.call<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId, userIds: [bob.userId, carol.userId] })).keyPackages
      .map((k) => [k.deviceId, label(k.keyPackage), k.lastResort]);
    assert.deepEqual(await claim(), [[bob.deviceId, 'new-1', false]], 'the fresh one, though the old ones are older; nothing of carol\'s');
    assert.deepEqual(await claim(), [], 'a stale last resort is not handed out: bob is absent until he uploads again');

    const replaced = await bob.api.call('POST', '/keypackages', { keyPackages: [], lastResort: kp('new-last') });
    assert.deepEqual(replaced, { available: 0, lastResort: true, lastResortAgeMs: 0 });
    now += 5 * DAY;
    assert.deepEqual(await bob.api.call('GET', '/keypackages/count'), { available: 0, lastResort: true, lastResortAgeMs: 5 * DAY });
    assert.deepEqual(await claim(), [[bob.deviceId, 'new-last', true]]);
    // Stale rows are deleted, also of a device nobody claimed and that never uploaded again (the sweep).
    const { storage } = server.services;
    assert.deepEqual(await storage.countKeyPackages(carol.deviceId, 0), { available: 0, lastResortCreatedAt: null });
    assert.deepEqual(await storage.countKeyPackages(bob.deviceId, 0), { available: 0, lastResortCreatedAt: now - 5 * DAY });
  });

  it('R14 the max age is PARLEY_KEY_PACKAGE_MAX_AGE_MS, positive and at most 27 days (below the 4-week key package lifetime)', async () => {
    let now = Date.now();
    await using server = await startTestServer({ PARLEY_KEY_PACKAGE_MAX_AGE_MS: '60000' }, { clock: { now: () => now } });
    const bob = await person(server.url);
    await bob.api.call('POST', '/keypackages', { keyPackages: [kp('one')], lastResort: kp('last') });
    now += 60_001;
    assert.deepEqual(await bob.api.call('GET', '/keypackages/count'), { available: 0, lastResort: false });
    assert.equal(loadConfig({}).keyPackageMaxAgeMs, 21 * DAY);
    for (const bad of ['0', String(27 * DAY + 1), 'soon']) {
      assert.throws(() => loadConfig({ PARLEY_KEY_PACKAGE_MAX_AGE_MS: bad }), /PARLEY_KEY_PACKAGE_MAX_AGE_MS/);
    }
  });

  it('R14 an upload with replaceOneTime drops the device\'s unclaimed one-time key packages (a device that lost its store)', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const bob = await person(server.url);
    await bob.api.call('POST', '/keypackages', { keyPackages: [kp('lost-1'), kp('lost-2'), kp('lost-3')] });
    assert.deepEqual(await bob.api.call('POST', '/keypackages', { keyPackages: [kp('mine')], replaceOneTime: true }), { available: 1, lastResort: false });
    const { chatId } = await group(alice, [bob]);
    const { keyPackages } = await alice.api.call<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId, userIds: [bob.userId] });
    assert.deepEqual(keyPackages.map((k) => label(k.keyPackage)), ['mine']);
    await rejectsWith(bob.api.call('POST', '/keypackages', { keyPackages: [], replaceOneTime: 'yes' }), 'bad_request');
  });

  it('R14 key package requests are validated and need a session', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    await rejectsWith(alice.api.call('POST', '/keypackages', { keyPackages: [b64(randomBytes(13 * 1024))] }), 'bad_request');
    await rejectsWith(alice.api.call('POST', '/keypackages', { keyPackages: Array.from({ length: 101 }, (_, i) => kp(`k${i}`)) }), 'bad_request');
    await rejectsWith(alice.api.call('POST', '/keypackages', { keyPackages: ['not base64!'] }), 'bad_request');
    const { chatId } = await group(alice, []);
    await rejectsWith(alice.api.call('POST', '/keypackages/claim', { chatId, userIds: [] }), 'bad_request');
    await rejectsWith(alice.api.call('POST', '/keypackages/claim', { userIds: [alice.userId] }), 'bad_request');
    await rejectsWith(alice.api.call('POST', '/keypackages/claim', { chatId, userIds: Array.from({ length: 101 }, (_, i) => `user_${i}`.padEnd(8, '_')) }), 'bad_request');
    await rejectsWith(new RestApi(server.url).call('GET', '/keypackages/count'), 'auth_required');
    await rejectsWith(new RestApi(server.url).call('POST', '/keypackages/claim', { chatId, userIds: [alice.userId] }), 'auth_required');
    assert.deepEqual(await alice.api.call('GET', '/keypackages/count'), { available: 0, lastResort: false });
  });

  it('R14 claims are rate-limited per device by the users they name', async () => {
    await using server = await startTestServer({ PARLEY_RATE_API_PER_SEC: '1' });
    const alice = await person(server.url);
    const others = await Promise.all(Array.from({ length: 5 }, () => person(server.url)));
    const { chatId } = await group(alice, others);
    const userIds = others.map((o) => o.userId);
    assert.deepEqual(await alice.api.call('POST', '/keypackages/claim', { chatId, userIds }), { keyPackages: [] });
    const limited = await rejectsWith(alice.api.call('POST', '/keypackages/claim', { chatId, userIds: userIds.slice(0, 1) }), 'rate_limited');
    assert.ok((limited.retryAfter ?? 0) >= 1);
  });

  it('R41 key packages are claimed only for members of a chat the claimer is in; a stranger gets none', async () => {
    await using server = await startTestServer();
    const [alice, bob, eve] = [await person(server.url), await person(server.url), await person(server.url)];
    await bob.api.call('POST', '/keypackages', { keyPackages: [kp('bob-1'), kp('bob-2')], lastResort: kp('bob-last') });
    const ours = await group(alice, [bob]);
    const eves = await group(eve, []);
    await rejectsWith(eve.api.call('POST', '/keypackages/claim', { chatId: ours.chatId, userIds: [bob.userId] }), 'not_member');
    await rejectsWith(eve.api.call('POST', '/keypackages/claim', { chatId: eves.chatId, userIds: [bob.userId] }), 'forbidden');
    await rejectsWith(eve.api.call('POST', '/keypackages/claim', { chatId: 'chat_nowhere', userIds: [bob.userId] }), 'not_member');
    assert.equal((await bob.api.call<KeyPackageCountResponse>('GET', '/keypackages/count')).available, 2, 'nothing of bob\'s was taken');
    const { keyPackages } = await alice.api.call<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId: ours.chatId, userIds: [bob.userId] });
    assert.deepEqual(keyPackages.map((k) => label(k.keyPackage)), ['bob-1'], 'a member of the chat claims for its group');
  });

  it('R41 a member who keeps claiming a person drains at most PARLEY_KEY_PACKAGE_CLAIMS_PER_TARGET_PER_HOUR one-time key packages; then only the last resort, and adds still work', async () => {
    await using server = await startTestServer({ PARLEY_KEY_PACKAGE_CLAIMS_PER_TARGET_PER_HOUR: '3' });
    const [mallory, bob, carol] = [await person(server.url), await person(server.url), await person(server.url)];
    await bob.api.call('POST', '/keypackages', { keyPackages: Array.from({ length: 10 }, (_, i) => kp(`bob-${i}`)), lastResort: kp('bob-last') });
    const { chatId } = await group(mallory, [bob]);
    const taken: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { keyPackages } = await mallory.api.call<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId, userIds: [bob.userId] });
      taken.push(...keyPackages.map((k) => label(k.keyPackage)));
    }
    assert.equal(new Set(taken.slice(0, 3)).size, 3);
    assert.ok(taken.slice(0, 3).every((k) => k !== 'bob-last'), 'three of his one-time key packages');
    assert.deepEqual(new Set(taken.slice(3)), new Set(['bob-last']), 'past the budget: the reused last resort, nothing consumed');
    assert.equal((await bob.api.call<KeyPackageCountResponse>('GET', '/keypackages/count')).available, 7);
    // Carol, who shares a chat with Bob, can still add him (with his last resort, within the hour).
    const other = await group(carol, [bob]);
    const { keyPackages } = await carol.api.call<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId: other.chatId, userIds: [bob.userId] });
    assert.deepEqual(keyPackages.map((k) => [label(k.keyPackage), k.lastResort]), [['bob-last', true]]);
  });

  it('R15 two devices race a commit for one epoch: one ack, one epoch_conflict, and every member gets the winner in order', async () => {
    await using server = await startTestServer();
    const [alice, bob, carol] = [await person(server.url), await person(server.url), await person(server.url)];
    const [ma, mb] = [await mlsTestDevice(server.url, alice.user), await mlsTestDevice(server.url, bob.user)];
    await mlsTestDevice(server.url, carol.user);
    const chat = await group(alice, [bob, carol]);
    assert.equal(chat.mlsEpoch, 0);
    const [pa, pb, pc] = [await peer(server.url, alice), await peer(server.url, bob), await peer(server.url, carol)];
    const watch = await peer(server.url, await secondDevice(server.url, carol.user));

    // Both start the chat's group with everyone else in it (R35: each a valid start at epoch 0).
    const byAlice = await startGroup(ma, chat.chatId, [bob.userId, carol.userId]);
    const byBob = await startGroup(mb, chat.chatId, [alice.userId, carol.userId]);
    pa.send(commitFrame('ra', chat.chatId, 'commit_alice', 0, byAlice.envelope));
    pb.send(commitFrame('rb', chat.chatId, 'commit_bob_', 0, byBob.envelope));
    const replies = [await pa.next((f) => f['rid'] === 'ra'), await pb.next((f) => f['rid'] === 'rb')];
    const acks = replies.filter((r) => r['type'] === 'ack');
    const errors = replies.filter((r) => r['type'] === 'error');
    assert.equal(acks.length, 1, JSON.stringify(replies));
    assert.equal(errors.length, 1, JSON.stringify(replies));
    assert.deepEqual([errors[0]?.['code'], errors[0]?.['epoch']], ['epoch_conflict', 1]);
    assert.match(String(errors[0]?.['message']), /epoch 1/);
    const won = acks[0]!;
    assert.deepEqual([won['seq'], won['duplicate']], [chat.lastSeq + 1, false]);

    // Every member's every device gets the winning commit, at the acked seq; the loser's is nowhere.
    let winning: Envelope | undefined;
    for (const p of [pa, pb, pc, watch]) {
      const frame = await p.next((f) => f['type'] === 'message');
      const message = frame['message'] as { seq: number; clientMsgId: string; envelope: Envelope };
      assert.deepEqual([message.seq, message.clientMsgId], [won['seq'], won['clientMsgId']]);
      winning = message.envelope;
    }

    // The loser joins from the winner's Welcome and commits in the next epoch: it goes after it in the log.
    const [winner, loser, loserPeer] = won['rid'] === 'ra' ? [byAlice, mb, pb] : [byBob, ma, pa];
    winner.session.mergePendingCommit();
    const welcome = decodeCommitBundle(winning!)?.welcome;
    assert.ok(welcome, 'the winning commit carries a Welcome');
    const { session } = await MlsGroupSession.join(loser.identity, welcome, loser.keyPackages);
    const retry = await loserPeer.request(commitFrame('retry', chat.chatId, 'commit_retry', 1, encodeCommitBundle(await session.update())));
    assert.deepEqual([retry['type'], retry['seq']], ['ack', chat.lastSeq + 2], JSON.stringify(retry));
    for (const p of [pa, pb, pc, watch]) {
      const frame = await p.next((f) => f['type'] === 'message');
      assert.equal((frame['message'] as { seq: number }).seq, chat.lastSeq + 2);
    }
    const { chat: now } = await carol.api.call<{ chat: ChatSummary }>('GET', `/chats/${chat.chatId}`);
    assert.deepEqual([now.mlsEpoch, now.lastSeq], [2, chat.lastSeq + 2]);
    for (const p of [pa, pb, pc, watch]) p.close();
  });

  it('R16 a resend of an accepted commit is acked with the original seq and duplicate: true, though the epoch moved on', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const bob = await person(server.url);
    const ma = await mlsTestDevice(server.url, alice.user);
    await mlsTestDevice(server.url, bob.user);
    const chat = await group(alice, [bob]);
    const pa = await peer(server.url, alice);
    const started = await startGroup(ma, chat.chatId, [bob.userId]);
    const first = await pa.request(commitFrame('c1', chat.chatId, 'commit_one', 0, started.envelope));
    assert.equal(first['type'], 'ack', JSON.stringify(first));
    started.session.mergePendingCommit();
    const update = encodeCommitBundle(await started.session.update());
    assert.equal((await pa.request(commitFrame('c2', chat.chatId, 'commit_two', 1, update)))['type'], 'ack');
    const again = await pa.request(commitFrame('c3', chat.chatId, 'commit_one', 0, started.envelope));
    assert.deepEqual([again['type'], again['seq'], again['duplicate']], ['ack', first['seq'], true]);
    const history = await pa.request({ type: 'history', rid: 'h', chatId: chat.chatId, afterSeq: 0 });
    assert.equal((history['messages'] as unknown[]).length, chat.lastSeq + 2);
    const stale = await pa.request(commitFrame('c4', chat.chatId, 'commit_new', 0, update));
    assert.deepEqual([stale['code'], stale['epoch']], ['epoch_conflict', 2]);
    pa.close();
  });

  it('R10 a non-member can neither commit to a chat nor post to it, and nothing is stored', async () => {
    await using server = await startTestServer();
    const alice = await person(server.url);
    const bob = await person(server.url);
    const eve = await person(server.url);
    const chat = await group(alice, [bob]);
    const pe = await peer(server.url, eve);
    const commit = await pe.request(rawCommitFrame('e1', chat.chatId, 'evil_commit', 0, b64([6, 6])));
    assert.deepEqual([commit['type'], commit['code']], ['error', 'not_member']);
    const send = await pe.request({ type: 'send', rid: 'e2', chatId: chat.chatId, clientMsgId: 'evil_send_', envelope: { contentType: 'message/mls', payload: b64([6]) } });
    assert.deepEqual([send['type'], send['code']], ['error', 'not_member']);
    const { chat: after } = await alice.api.call<{ chat: ChatSummary }>('GET', `/chats/${chat.chatId}`);
    assert.deepEqual([after.lastSeq, after.mlsEpoch], [chat.lastSeq, 0]);
    pe.close();
  });

  it('R17 with R35 an accepted commit is stored and delivered byte for byte; what fails its check, or a bad frame, changes nothing', async () => {
    await using server = await startTestServer({ PARLEY_MAX_ENVELOPE_BYTES: '2048', PARLEY_MAX_COMMIT_BYTES: '8192' });
    const alice = await person(server.url);
    const bob = await person(server.url);
    const ma = await mlsTestDevice(server.url, alice.user);
    await mlsTestDevice(server.url, bob.user);
    const chat = await group(alice, [bob]);
    const [pa, pb] = [await peer(server.url, alice), await peer(server.url, bob)];
    const payload = b64(Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x80]), randomBytes(1000)]));
    const refused = [
      commitFrame('r1', chat.chatId, 'commit_raw', 0, { contentType: 'application/x-anything', payload }),
      commitFrame('r2', chat.chatId, 'commit_rnd', 0, { contentType: MLS_COMMIT_CONTENT_TYPE, payload }),
    ];
    for (const frame of refused) assert.equal((await pa.request(frame))['code'], 'mls_commit_invalid');

    const { envelope } = await startGroup(ma, chat.chatId, [bob.userId]);
    const ack = await pa.request(commitFrame('c1', chat.chatId, 'commit_ok', 0, envelope));
    assert.equal(ack['type'], 'ack', JSON.stringify(ack));
    const live = (await pb.next((f) => f['type'] === 'message'))['message'] as { envelope: unknown };
    assert.deepEqual(live.envelope, envelope);
    const history = await pb.request({ type: 'history', rid: 'h', chatId: chat.chatId, afterSeq: chat.lastSeq });
    assert.deepEqual((history['messages'] as { envelope: unknown }[]).map((m) => m.envelope), [envelope]);

    const bad = [
      { ...commitFrame('b1', chat.chatId, 'commit_bad1', -1, envelope) },
      { ...commitFrame('b2', chat.chatId, 'commit_bad2', 1.5, envelope) },
      { type: 'commit', rid: 'b3', chatId: chat.chatId, clientMsgId: 'commit_bad3', envelope },
    ];
    for (const frame of bad) assert.equal((await pa.request(frame))['code'], 'invalid_frame');
    const big = await pa.request(commitFrame('b4', chat.chatId, 'commit_big_', 1, { contentType: MLS_COMMIT_CONTENT_TYPE, payload: b64(randomBytes(8000)) }));
    assert.equal(big['code'], 'payload_too_large');
    // A commit may be larger than a message (PARLEY_MAX_COMMIT_BYTES: a group's start carries a key package per device).
    const roomy = await pa.request(commitFrame('b5', chat.chatId, 'commit_roomy', 1, { contentType: MLS_COMMIT_CONTENT_TYPE, payload: b64(randomBytes(4000)) }));
    assert.equal(roomy['code'], 'mls_commit_invalid', 'checked, not refused for its size');
    const message = await pa.request({ type: 'send', rid: 'm1', chatId: chat.chatId, clientMsgId: 'message_roomy', envelope: { contentType: 'parley/mls-app', payload: b64(randomBytes(4000)) } });
    assert.equal(message['code'], 'payload_too_large');
    const { chat: after } = await alice.api.call<{ chat: ChatSummary }>('GET', `/chats/${chat.chatId}`);
    assert.deepEqual([after.lastSeq, after.mlsEpoch], [chat.lastSeq + 1, 1]);
    pa.close();
    pb.close();
  });
});
