import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlsGroupSession, readGroupState, encodeCommitBundle, type ParleyClient, type TimelineItem } from '@parley/client';
import { addDevice, appendAsMessage, createUser, rollBackChatEpoch, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';

/**
 * R15/R36: only the server's `commit` frame (checked, R35, and counted as an epoch) moves a chat's
 * group. A commit smuggled in through `send` is refused; one an older or malicious server ordered
 * as a plain entry anyway is applied by no device; and devices that find their group ahead of the
 * server's epoch start the group again instead of staying stuck.
 */

const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.notice && !i.unreadable).map((i) => i.text);
const item = (client: ParleyClient, chatId: string, match: (i: TimelineItem) => boolean) => client.timeline(chatId).find(match);

async function formedGroup(owner: TestUser, ...others: TestUser[]): Promise<string> {
  const group = await owner.client.createGroup({ name: 'entrance 3', memberIds: [...new Set(others.map((u) => u.userId))] });
  await waitFor(() => [owner, ...others].every((u) => u.client.chat(group.chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });
  return group.chatId;
}

/** The epoch of the device's group as it stored it. */
async function groupEpoch(user: TestUser, chatId: string): Promise<number | undefined> {
  const bytes = await readGroupState(user.store, chatId);
  return bytes ? Number((await MlsGroupSession.deserialize(bytes)).epoch) : undefined;
}

/** A validly signed update commit of the device's group, made from its store (its client is stopped). */
async function updateCommitOf(user: TestUser, chatId: string) {
  const bytes = await readGroupState(user.store, chatId);
  assert.ok(bytes, 'the device holds the group');
  return encodeCommitBundle(await (await MlsGroupSession.deserialize(bytes)).update());
}

describe('R15 only what the server ordered as a commit moves a group', () => {
  it('a member device\'s validly signed update sent with `send` is refused with mls_commit_not_sendable and stores nothing; the group adds a member who reads on, and the device once revoked is removed', { timeout: 120_000 }, async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url, { displayName: 'Bob' });
    const mallory = await addDevice(bob); // Bob's second device, which turns hostile
    const carol = await createUser(server.url, { displayName: 'Carol' });
    const chatId = await formedGroup(alice, bob, mallory);
    await alice.client.sendText(chatId, 'hello');
    await waitFor(() => texts(mallory.client, chatId).includes('hello'), { what: 'mallory reads' });
    await mallory.client.stop();

    const before = await alice.client.getChat(chatId);
    const peer = await RawPeer.authed(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d));
    const reply = await peer.request({ type: 'send', rid: 's1', chatId, clientMsgId: 'smuggled_update', envelope: await updateCommitOf(mallory, chatId) });
    assert.deepEqual([reply['type'], reply['code']], ['error', 'mls_commit_not_sendable'], JSON.stringify(reply));
    const after = await alice.client.getChat(chatId);
    assert.equal(after.mlsEpoch, before.mlsEpoch, 'the epoch did not move');
    // Nothing of the refused send is in the log (the other devices may append their own entries meanwhile).
    const since = await server.services.storage.getMessages(chatId, { afterSeq: before.lastSeq, limit: 100 });
    assert.deepEqual(since.filter((m) => m.senderDeviceId === mallory.deviceId || m.clientMsgId === 'smuggled_update'), [], 'nothing stored from the refused send');
    peer.close();

    await alice.client.addMember(chatId, carol.userId);
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined', timeoutMs: 30_000 });
    await alice.client.sendText(chatId, 'hello carol');
    await waitFor(() => texts(carol.client, chatId).includes('hello carol'), { what: 'carol reads', timeoutMs: 20_000 });

    await bob.client.revokeDevice(mallory.deviceId);
    const started = Date.now();
    await waitFor(async () => !(await alice.client.encryptionMembers(chatId)).some((m) => m.deviceId === mallory.deviceId), { what: 'the revoked device left the group', timeoutMs: 30_000 });
    assert.ok(Date.now() - started < 30_000);
    await bob.client.sendText(chatId, 'without my old phone');
    await waitFor(() => texts(alice.client, chatId).includes('without my old phone') && texts(carol.client, chatId).includes('without my old phone'), { what: 'alice and carol read bob', timeoutMs: 20_000 });
    for (const u of [alice, bob, carol]) await u.client.stop();
  });

  it('a server that orders a commit as a plain entry anyway (an older one): no device applies it, each shows it as failed its check, and the group goes on', { timeout: 120_000 }, async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url, { displayName: 'Bob' });
    const mallory = await addDevice(bob);
    const carol = await createUser(server.url, { displayName: 'Carol' });
    const chatId = await formedGroup(alice, bob, mallory);
    await mallory.client.stop();
    const epochBefore = (await alice.client.getChat(chatId)).mlsEpoch;

    const seq = await appendAsMessage(server, chatId, { userId: bob.userId, deviceId: mallory.deviceId }, await updateCommitOf(mallory, chatId));
    for (const u of [alice, bob]) {
      await waitFor(() => item(u.client, chatId, (i) => i.seq === seq)?.unreadableReason === 'tampered', { what: `${u.displayName} shows the entry as failed its check`, timeoutMs: 20_000 });
      assert.equal(item(u.client, chatId, (i) => i.seq === seq)?.unreadableDetail, 'not_ordered_as_commit');
      assert.equal(await groupEpoch(u, chatId), epochBefore, `${u.displayName}'s group did not move`);
    }
    await alice.client.addMember(chatId, carol.userId);
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined', timeoutMs: 30_000 });
    await bob.client.sendText(chatId, 'hello carol');
    await waitFor(() => texts(carol.client, chatId).includes('hello carol') && texts(alice.client, chatId).includes('hello carol'), { what: 'carol and alice read', timeoutMs: 20_000 });
    assert.ok(!alice.client.timeline(chatId).some((i) => i.notice === 'encryption_restarted'), 'no restart was needed');
    for (const u of [alice, bob, carol]) await u.client.stop();
  });
});

describe('R36 devices whose group is ahead of the server\'s epoch start it again', () => {
  it('the server loses count of a commit every device applied: at the next check of the group the devices see it, set up the encryption again, and a new member reads new messages', { timeout: 120_000 }, async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url, { displayName: 'Bob' });
    const dave = await createUser(server.url, { displayName: 'Dave' });
    const carol = await createUser(server.url, { displayName: 'Carol' });
    const chatId = await formedGroup(alice, bob);
    await alice.client.addMember(chatId, dave.userId);
    await waitFor(() => dave.client.chat(chatId)?.encryption === 'on', { what: 'dave joined', timeoutMs: 30_000 });
    await alice.client.sendText(chatId, 'before the server lost count');
    await waitFor(() => texts(dave.client, chatId).includes('before the server lost count'), { what: 'dave reads' });

    const lastSeq = (await alice.client.getChat(chatId)).lastSeq;
    const serverEpoch = rollBackChatEpoch(server.dataDir, chatId);
    assert.ok(serverEpoch >= 1);
    assert.equal(await groupEpoch(alice, chatId), serverEpoch + 1, 'the devices are one commit ahead of the server');

    const started = Date.now();
    await alice.client.addMember(chatId, carol.userId); // a chat change: every device checks its group
    for (const u of [alice, bob, dave]) {
      await waitFor(() => item(u.client, chatId, (i) => i.notice === 'encryption_restarted' && (i.seq ?? 0) > lastSeq) !== undefined, { what: `${u.displayName} sees the encryption set up again`, timeoutMs: 40_000 });
      await waitFor(() => u.client.chat(chatId)?.encryption === 'on', { what: `${u.displayName}'s encryption is on`, timeoutMs: 30_000 });
    }
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined', timeoutMs: 30_000 });
    const tookMs = Date.now() - started;
    assert.ok(tookMs < 40_000, `recovered in ${tookMs} ms`);
    await alice.client.sendText(chatId, 'hello carol');
    await bob.client.sendText(chatId, 'hello from bob');
    await waitFor(() => ['hello carol', 'hello from bob'].every((t) => texts(carol.client, chatId).includes(t) && texts(dave.client, chatId).includes(t)), { what: 'carol and dave read alice and bob', timeoutMs: 20_000 });
    const chat = await alice.client.getChat(chatId);
    assert.ok(chat.mlsEpoch > serverEpoch, `the chat's epoch went on (${serverEpoch} → ${chat.mlsEpoch})`);
    assert.equal(await groupEpoch(alice, chatId), chat.mlsEpoch, 'the device and the server agree again');
    for (const u of [alice, bob, dave, carol]) await u.client.stop();
  });
});
