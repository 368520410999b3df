import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MLS_COMMIT_CONTENT_TYPE, bytesToBase64, decodeCommitBundle, encodeCommitBundle, type ParleyClient } from '@parley/client';
import type { ChatSummary } from '@parley/protocol';
import { startGroupId } from '@parley/mls-public';
import { MlsGroupSession } from '@parley/client';
import {
  appendUncheckedCommit, claimFor, commitFrame, createUser, mlsTestDevice, startTestServer, waitFor, type ClientTweaks, type MlsTestDevice, type TestUser,
} from '@parley/testing';
import { RawPeer } from './raw.ts';

/**
 * R36b: a chat with more devices than one commit takes starts (or restarts) its group in parts: the
 * start adds the devices first in (userId, deviceId) order, at least PARLEY_MLS_START_MIN_ADDS of
 * them, and ordinary adds bring the rest. Here a part is one user (maxAddsPerCommit 1) and the
 * server's minimum 1, so four people make a start and two adds.
 */
const inParts: ClientTweaks = { mls: { enabled: true, maxAddsPerCommit: 1 } };
const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.notice && !i.unreadable).map((i) => i.text);
const tag = () => randomBytes(5).toString('hex');
const byId = <T extends { userId: string }>(list: T[]) => [...list].sort((a, b) => (a.userId < b.userId ? -1 : 1));

/** A start commit by `by` at `epoch` adding the devices of exactly `userIds`. */
async function start(by: MlsTestDevice, chatId: string, epoch: number, userIds: string[]) {
  const session = await MlsGroupSession.create(by.identity, new TextEncoder().encode(startGroupId(chatId, epoch)), {}, BigInt(epoch));
  const groupInfo = await session.groupInfo();
  const { commit, welcome } = await session.changeMembers({ add: await claimFor(by, chatId, userIds), remove: [] });
  return encodeCommitBundle({ commit, welcome, groupInfo });
}

describe('R36b a big chat\'s group starts in parts', () => {
  it('the server takes a start that adds the first devices in order and leaves the rest for adds; one that skips someone earlier in order is incomplete', { timeout: 60_000 }, async () => {
    await using server = await startTestServer({ PARLEY_MLS_START_MIN_ADDS: '1' });
    const people = await Promise.all([1, 2, 3, 4].map(() => createUser(server.url, { start: false })));
    const devices = await Promise.all(people.map((p) => mlsTestDevice(server.url, p, { keyPackages: 4 })));
    const [starter, ...others] = devices;
    const chat = (await starter!.api.call<{ chat: ChatSummary }>('POST', '/chats', { name: 'block C', memberIds: others.map((o) => o.userId) })).chat;
    const peer = await RawPeer.authed(server.url, starter!.deviceId, (d) => starter!.deviceKey.sign(d));
    try {
      const [first, , last] = byId(others);
      const skipping = await peer.request(commitFrame('s1', chat.chatId, `skip_${tag()}`, 0, await start(starter!, chat.chatId, 0, [last!.userId])));
      assert.equal(skipping['code'], 'mls_commit_incomplete', JSON.stringify(skipping));
      const prefix = await peer.request(commitFrame('s2', chat.chatId, `prefix_${tag()}`, 0, await start(starter!, chat.chatId, 0, [first!.userId])));
      assert.equal(prefix['type'], 'ack', JSON.stringify(prefix));
    } finally {
      peer.close();
    }
  });

  it('clients add at most maxAddsPerCommit devices per commit: a new group and its restart after a bad commit reach everyone in parts, and all read', { timeout: 120_000 }, async () => {
    await using server = await startTestServer({ PARLEY_MLS_START_MIN_ADDS: '1' });
    const users: TestUser[] = [];
    for (const name of ['Alice', 'Bob', 'Carol', 'Dave']) users.push(await createUser(server.url, { displayName: name, client: inParts }));
    const [alice, ...others] = users;
    try {
      const { chatId } = await alice!.client.createGroup({ name: 'Entrance 4', memberIds: others.map((u) => u.userId) });
      await waitFor(() => users.every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'everyone in the group', timeoutMs: 60_000 });
      const commits = () => alice!.client.log(chatId).filter((m) => m.envelope?.contentType === MLS_COMMIT_CONTENT_TYPE && m.commitEpoch !== undefined);
      const welcomes = (from: number) => commits().filter((m) => m.seq > from && decodeCommitBundle(m.envelope!)?.welcome !== undefined);
      assert.ok(welcomes(0).length >= 3, `three parts: ${welcomes(0).length} commits with a Welcome`);
      await alice!.client.sendText(chatId, 'the water is off on Friday');
      for (const u of others) await waitFor(() => texts(u.client, chatId).includes('the water is off on Friday'), { what: `${u.displayName} reads` });

      // A commit no one can apply: the members start the group again, again in parts.
      const bad = await appendUncheckedCommit(server, chatId, { userId: alice!.userId, deviceId: alice!.deviceId },
        { contentType: MLS_COMMIT_CONTENT_TYPE, payload: bytesToBase64(randomBytes(300)) });
      await waitFor(() => users.every((u) => u.client.timeline(chatId).some((i) => i.notice === 'encryption_restarted' && (i.seq ?? 0) > bad)), { what: 'everyone sees the restart', timeoutMs: 60_000 });
      await waitFor(() => users.every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'everyone back in', timeoutMs: 60_000 });
      const restart = commits().find((m) => m.seq > bad && decodeCommitBundle(m.envelope!)?.groupInfo !== undefined);
      assert.ok(restart, 'a restart');
      await others[2]!.client.sendText(chatId, 'it is back on');
      for (const u of users.slice(0, 3)) await waitFor(() => texts(u.client, chatId).includes('it is back on'), { what: `${u.displayName} reads after the restart`, timeoutMs: 30_000 });
      assert.ok(welcomes(restart.seq - 1).length >= 3, `the restart and two adds: ${welcomes(restart.seq - 1).length}`);
    } finally {
      for (const u of users) await u.client.stop();
    }
  });
});
