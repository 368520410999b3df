import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  MLS_COMMIT_CONTENT_TYPE, MlsGroupSession, readGroupState, bytesToBase64, decodeCommitBundle, encodeCommitBundle, type ParleyClient, type TimelineItem,
} from '@parley/client';
import { addDevice, appendUncheckedCommit, commitFrame, createUser, newClient, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';

/**
 * R36: the server's order holds a commit a member's device cannot apply. The devices see it, say so,
 * start the chat's group again by themselves, and everyone reads new messages again.
 */

const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.notice && !i.unreadable).map((i) => i.text);
const item = (client: ParleyClient, chatId: string, match: (i: TimelineItem) => boolean) => client.timeline(chatId).find(match);

async function formedGroup(...users: TestUser[]): Promise<string> {
  const [owner, ...others] = users;
  const group = await owner!.client.createGroup({ name: 'entrance 2', memberIds: [...new Set(others.map((u) => u.userId))] });
  await waitFor(() => users.every((u) => u.client.chat(group.chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });
  return group.chatId;
}

/** Every member device shows the commit it could not apply as such, then the line saying the encryption was set up again. */
async function seesRepair(users: readonly TestUser[], chatId: string, badSeq: number): Promise<void> {
  for (const u of users) {
    await waitFor(() => item(u.client, chatId, (i) => i.seq === badSeq)?.unreadableReason === 'commit_failed', { what: `${u.displayName} shows the commit it could not apply`, timeoutMs: 20_000 });
    await waitFor(() => item(u.client, chatId, (i) => i.notice === 'encryption_restarted' && (i.seq ?? 0) > badSeq) !== undefined, { what: `${u.displayName} sees the encryption set up again`, timeoutMs: 30_000 });
    await waitFor(() => u.client.chat(chatId)?.encryption === 'on', { what: `${u.displayName}'s encryption is on again`, timeoutMs: 30_000 });
  }
}

describe('R36 members recover a group from a commit they cannot apply', () => {
  it('a server that appends an unprocessable commit itself: the members detect it, start the group again, read what was sent meanwhile and what follows; a new member reads on', { timeout: 120_000 }, async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url, { displayName: 'Bob' });
    const carol = await createUser(server.url, { displayName: 'Carol' });
    const chatId = await formedGroup(alice, bob);
    await alice.client.sendText(chatId, 'before anything went wrong');
    await waitFor(() => texts(bob.client, chatId).includes('before anything went wrong'), { what: 'bob reads' });
    const epochBefore = (await alice.client.getChat(chatId)).mlsEpoch;

    // The server orders 300 random bytes as a commit "from Alice" at the current epoch.
    const badSeq = await appendUncheckedCommit(server, chatId, { userId: alice.userId, deviceId: alice.deviceId },
      { contentType: MLS_COMMIT_CONTENT_TYPE, payload: bytesToBase64(randomBytes(300)) });
    await bob.client.sendText(chatId, 'written right after it');
    await seesRepair([alice, bob], chatId, badSeq);
    await waitFor(() => texts(alice.client, chatId).includes('written right after it'), { what: 'alice reads what bob wrote meanwhile', timeoutMs: 20_000 });
    assert.equal(item(alice.client, chatId, (i) => i.seq === badSeq)?.senderUserId, alice.userId, 'the line is where the server put it, under the name it gave');
    const after = await alice.client.getChat(chatId);
    assert.ok(after.mlsEpoch > epochBefore + 1, `the group went on from the chat's epoch (${epochBefore} → ${after.mlsEpoch})`);

    await bob.client.sendText(chatId, 'after the repair');
    await waitFor(() => texts(alice.client, chatId).includes('after the repair'), { what: 'alice reads after the repair' });
    await alice.client.addMember(chatId, carol.userId);
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined', timeoutMs: 30_000 });
    await alice.client.sendText(chatId, 'hello carol');
    await waitFor(() => texts(carol.client, chatId).includes('hello carol') && texts(bob.client, chatId).includes('hello carol'), { what: 'carol and bob read', timeoutMs: 20_000 });
    for (const u of [alice, bob, carol]) await u.client.stop();
  });

  it('a member device\'s commit the server can check but no one can apply (a false confirmation tag) is repaired the same way', { timeout: 120_000 }, async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url, { displayName: 'Bob' });
    const mallory = await addDevice(bob);
    const chatId = await formedGroup(alice, bob, mallory);
    await waitFor(() => mallory.client.chat(chatId)?.encryption === 'on', { what: 'mallory in' });
    await mallory.client.stop();
    const bytes = await readGroupState(mallory.store, chatId);
    assert.ok(bytes);
    const session = await MlsGroupSession.deserialize(bytes);
    const { commit } = await session.update();
    // PublicMessage: … ‖ confirmation tag (33 bytes) ‖ membership tag (33 bytes): flip a bit of the confirmation tag.
    const bad = commit.slice();
    bad[bad.length - 40] = (bad[bad.length - 40] ?? 0) ^ 1;
    const peer = await RawPeer.authed(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d));
    const epoch = (await alice.client.getChat(chatId)).mlsEpoch;
    const ack = await peer.request(commitFrame('bad', chatId, 'bad_tag_commit', epoch, encodeCommitBundle({ commit: bad })));
    assert.equal(ack['type'], 'ack', `the server cannot check the tag: ${JSON.stringify(ack)}`);
    peer.close();
    await seesRepair([alice, bob], chatId, Number(ack['seq']));
    await alice.client.sendText(chatId, 'all good again');
    await waitFor(() => texts(bob.client, chatId).includes('all good again'), { what: 'bob reads', timeoutMs: 20_000 });
    // The repair's first commit started a new group (its own id) with every device, Mallory's too (R36: none left out).
    const log = alice.client.log(chatId);
    const restart = log.find((m) => m.seq > Number(ack['seq']) && m.envelope && decodeCommitBundle(m.envelope)?.groupInfo !== undefined);
    assert.ok(restart, 'a restart commit follows');
    const members = await alice.client.encryptionMembers(chatId);
    assert.deepEqual(members.map((m) => m.deviceId).sort(), [alice.deviceId, bob.deviceId, mallory.deviceId].sort());
    for (const u of [alice, bob]) await u.client.stop();
  });

  it('a device outside the group that no member adds back (R29 unanswered) starts the group again by itself', { timeout: 120_000 }, async () => {
    await using server = await startTestServer();
    const tweaks = { mls: { enabled: true, restartAfterWaitingMs: 2000 } };
    const alice = await createUser(server.url, { displayName: 'Alice', client: tweaks });
    const carol = await createUser(server.url, { displayName: 'Carol', client: tweaks });
    const { chatId } = await alice.client.createGroup({ name: 'quiet group', memberIds: [] });
    await waitFor(async () => (await alice.client.getChat(chatId)).mlsEpoch > 0, { what: 'alice\'s group exists' });
    // Alice's app is closed when she adds Carol: no device of the group is there to add Carol's device.
    await alice.client.stop();
    const { RestApi, accounts } = await import('@parley/client');
    const api = new RestApi(server.url, (await accounts.login(server.url, alice.deviceId, alice.deviceKey)).token);
    await api.call('POST', `/chats/${chatId}/members`, { userId: carol.userId });
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'waiting', { what: 'carol waits outside the group' });
    // She asks to be added (after 10 s, R29); no one answers; 2 s later she starts the group again.
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol restarted the group', timeoutMs: 40_000 });
    await waitFor(() => item(carol.client, chatId, (i) => i.notice === 'encryption_restarted') !== undefined, { what: 'carol sees the restart' });
    await carol.client.sendText(chatId, 'anyone here?');
    alice.client = newClient(server.url, alice.userId, alice.deviceId, alice.deviceKey, alice.store, undefined, tweaks);
    await alice.client.start();
    await waitFor(() => texts(alice.client, chatId).includes('anyone here?'), { what: 'alice, back, reads carol', timeoutMs: 30_000 });
    await alice.client.sendText(chatId, 'yes, welcome');
    await waitFor(() => texts(carol.client, chatId).includes('yes, welcome'), { what: 'carol reads alice', timeoutMs: 20_000 });
    for (const u of [alice, carol]) await u.client.stop();
  });
});
