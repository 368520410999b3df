import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  MLS_COMMIT_CONTENT_TYPE, MlsGroupSession, readGroupState, MlsIdentity, RestApi, accounts, bytesToBase64, encodeCommitBundle, generateKeyPackages,
  type ParleyClient,
} from '@parley/client';
import type { ChatSummary, Envelope } from '@parley/protocol';
import { addDevice, commitFrame, createUser, forgetGroupStates, freePort, newClient, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';

/**
 * R35 through the real server: a member's device that turns hostile sends commit frames an honest
 * client never would. Each is refused with a stable code and changes nothing; the group goes on.
 */

const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.unreadable).map((i) => i.text);

async function chatState(api: RestApi, chatId: string): Promise<[number, number]> {
  const { chat } = await api.call<{ chat: ChatSummary }>('GET', `/chats/${chatId}`);
  return [chat.mlsEpoch, chat.lastSeq];
}

/** The hostile device's own view of the group, taken from its store (its client is stopped: the frames are hand-made). */
async function groupOf(user: TestUser, chatId: string): Promise<MlsGroupSession> {
  const bytes = await readGroupState(user.store, chatId);
  assert.ok(bytes, 'the device holds the group');
  return MlsGroupSession.deserialize(bytes);
}

describe('R35 the server checks each commit before it orders it', () => {
  it('a member device\'s random bytes, ghost add, removal of the owner, replayed commit and a revoked device\'s commit are refused; the honest members then add someone who reads on', { timeout: 120_000 }, async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url, { displayName: 'Bob' });
    const mallory = await addDevice(bob); // Bob's second device, which turns hostile
    const carol = await createUser(server.url, { displayName: 'Carol' });
    const group = await alice.client.createGroup({ name: 'building 7', memberIds: [bob.userId] });
    const chatId = group.chatId;
    await waitFor(() => [alice, bob, mallory].every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });
    await alice.client.sendText(chatId, 'welcome, neighbours');
    await waitFor(() => texts(mallory.client, chatId).includes('welcome, neighbours'), { what: 'mallory reads' });
    await mallory.client.stop();

    const api = await signedIn(server.url, bob); // reads the chat's epoch and log length
    const peer = await RawPeer.authed(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d));
    const session = await groupOf(mallory, chatId);
    const [epoch, lastSeq] = await chatState(api, chatId);
    assert.equal(Number(session.epoch), epoch);
    let n = 0;
    const attempt = async (envelope: Envelope, at = epoch) => peer.request(commitFrame(`r${++n}`, chatId, `hostile_${n}_${randomBytes(4).toString('hex')}`, at, envelope));
    const refusedWith = async (code: string, envelope: Envelope, what: string) => {
      const reply = await attempt(envelope);
      assert.deepEqual([reply['type'], reply['code']], ['error', code], `${what}: ${JSON.stringify(reply)}`);
      assert.deepEqual(await chatState(api, chatId), [epoch, lastSeq], `${what}: the epoch and the log did not move`);
      if (session.hasPendingCommit) session.discardPendingCommit();
    };

    // (1) 300 random bytes as a commit at the current epoch.
    await refusedWith('mls_commit_invalid', { contentType: MLS_COMMIT_CONTENT_TYPE, payload: bytesToBase64(randomBytes(300)) }, 'random bytes');

    // (2) A validly signed commit adding a device Alice's key log does not have.
    const ghost = await MlsIdentity.generate({ userId: alice.userId, deviceId: 'ghost_device' });
    const [ghostKp] = await generateKeyPackages(ghost, 1);
    await refusedWith('mls_commit_forbidden', encodeCommitBundle(await session.changeMembers({ add: [ghostKp!.keyPackage], remove: [] })), 'a ghost device');

    // (3) A plain member's device removing the owner's device.
    await refusedWith('mls_commit_forbidden', encodeCommitBundle(await session.removeMembers([{ userId: alice.userId, deviceId: alice.deviceId }])), 'removing the owner');

    // (4) A replay: the group's first commit (Alice's), and Mallory's own honest commit once the epoch moved on.
    const history = await peer.request({ type: 'history', rid: 'h', chatId, afterSeq: 0, limit: 100 });
    const commits = (history['messages'] as { envelope: Envelope | null }[]).filter((m) => m.envelope?.contentType === MLS_COMMIT_CONTENT_TYPE);
    await refusedWith('mls_commit_invalid', commits[0]!.envelope!, 'Alice\'s first commit (which started the group), replayed by Mallory');
    const honest = encodeCommitBundle(await session.update());
    const accepted = await attempt(honest);
    assert.equal(accepted['type'], 'ack', JSON.stringify(accepted));
    session.mergePendingCommit();
    const [epoch2] = await chatState(api, chatId);
    assert.equal(epoch2, epoch + 1);
    const replay = await attempt(honest, epoch2);
    assert.deepEqual([replay['type'], replay['code']], ['error', 'mls_commit_invalid'], JSON.stringify(replay));
    assert.match(String(replay['message']), /epoch/);
    assert.equal((await chatState(api, chatId))[0], epoch2);

    // (5) Bob revokes the device (his and Alice's apps are closed, so no one removes its leaf yet): it
    // can no longer sign in, and its leaf's commit, sent by another device, is refused.
    const made = encodeCommitBundle(await session.update());
    await alice.client.stop();
    await bob.client.stop();
    await api.call('DELETE', `/devices/${mallory.deviceId}`);
    await waitFor(() => peer.closeCode !== undefined, { what: 'the revoked device is disconnected' });
    assert.equal(peer.closeCode, 4003);
    await assert.rejects(accounts.login(server.url, mallory.deviceId, mallory.deviceKey));
    const bobPeer = await RawPeer.authed(server.url, bob.deviceId, (d) => bob.deviceKey.sign(d));
    const before = await chatState(api, chatId);
    assert.equal(before[0], epoch2);
    const byBob = await bobPeer.request(commitFrame('rb', chatId, 'revoked_leaf_commit', epoch2, made));
    assert.deepEqual([byBob['type'], byBob['code']], ['error', 'mls_commit_forbidden'], JSON.stringify(byBob));
    assert.deepEqual(await chatState(api, chatId), before);
    bobPeer.close();
    for (const u of [alice, bob]) {
      u.client = newClient(server.url, u.userId, u.deviceId, u.deviceKey, u.store);
      await u.client.start();
    }

    // The honest members go on: the revoked device is removed, Carol is added and reads what is said next.
    await alice.client.addMember(chatId, carol.userId);
    await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined', timeoutMs: 30_000 });
    await alice.client.sendText(chatId, 'meeting on thursday at seven');
    await waitFor(() => texts(carol.client, chatId).includes('meeting on thursday at seven'), { what: 'carol reads', timeoutMs: 20_000 });
    await waitFor(async () => !(await alice.client.encryptionMembers(chatId)).some((m) => m.deviceId === mallory.deviceId), { what: 'the revoked device left the group', timeoutMs: 20_000 });
    for (const u of [alice, bob, carol]) await u.client.stop();
  });
  it('R35 a group from before the server checked commits is adopted from a member device\'s GroupInfo, and goes on', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-adopt-'));
    try {
      let server = await startTestServer({ PORT: String(port) }, { dataDir });
      const alice = await createUser(server.url, { displayName: 'Alice' });
      const bob = await createUser(server.url, { displayName: 'Bob' });
      const carol = await createUser(server.url, { displayName: 'Carol' });
      const { chatId } = await alice.client.createGroup({ name: 'older group', memberIds: [bob.userId] });
      await waitFor(() => [alice, bob].every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });
      // An upgrade onto this version: the database has no public state of the group yet.
      await server.close();
      assert.ok(forgetGroupStates(dataDir) >= 1);
      server = await startTestServer({ PORT: String(port) }, { dataDir });
      assert.equal(await server.services.storage.getMlsGroupState(chatId), undefined);
      await alice.client.addMember(chatId, carol.userId);
      await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined the adopted group', timeoutMs: 40_000 });
      await bob.client.sendText(chatId, 'the group kept going');
      await waitFor(() => texts(carol.client, chatId).includes('the group kept going') && texts(alice.client, chatId).includes('the group kept going'), { what: 'everyone reads', timeoutMs: 20_000 });
      const held = await server.services.storage.getMlsGroupState(chatId);
      assert.equal(held?.epoch, (await alice.client.getChat(chatId)).mlsEpoch, 'the server holds the group\'s state again, at the chat\'s epoch');
      for (const u of [alice, bob, carol]) await u.client.stop();
      await server.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

async function signedIn(baseUrl: string, user: TestUser): Promise<RestApi> {
  const { token } = await accounts.login(baseUrl, user.deviceId, user.deviceKey);
  return new RestApi(baseUrl, token);
}
