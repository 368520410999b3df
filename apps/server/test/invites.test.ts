import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ParleyClient } from '@parley/client';
import { createUser, startTestServer, waitFor, type TestUser, rejectsWithCode as rejects } from '@parley/testing';

/** Invite links (docs/PROTOCOL.md R42) through the real server and SDK. */

const devicesOf = (client: ParleyClient, chatId: string) => client.encryptionMembers(chatId).then((ms) => ms.map((m) => m.userId));

/** A group owned by `owner` with `admins` promoted; every user is started (for MLS) unless told. */
async function groupWith(owner: TestUser, members: TestUser[], admins: TestUser[] = []): Promise<string> {
  const { chatId } = await owner.client.createGroup({ name: 'Block 4 tenants', memberIds: members.map((m) => m.userId) });
  for (const a of admins) await owner.client.setRole(chatId, a.userId, 'admin');
  return chatId;
}

describe('invite links (R42)', () => {
  it('R42 an admin who was removed cannot rejoin through the invite they made, nor through an older one of another admin; their devices stay out of the group', async () => {
    await using server = await startTestServer();
    const [ann, ben, dan] = await Promise.all(['Ann', 'Ben', 'Dan'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben || !dan) throw new Error('users');
    const chatId = await groupWith(ann, [ben, dan], [ben, dan]);
    await waitFor(async () => (await devicesOf(ann.client, chatId)).length === 3, { what: 'the group formed with all three', timeoutMs: 30_000 });

    // The attack: Ben, an admin, keeps an invite of his own; Dan's older invite is around too.
    const bens = await ben.client.createInvite(chatId);
    const dans = await dan.client.createInvite(chatId);
    await ann.client.removeMember(chatId, ben.userId);
    await waitFor(async () => !(await devicesOf(ann.client, chatId)).includes(ben.userId), { what: "Ben's leaves removed", timeoutMs: 30_000 });

    await rejects(ben.client.joinInvite(bens.token), 'invite_invalid');
    await rejects(ben.client.previewInvite(bens.token), 'invite_invalid');
    // Dan's invite still works for others, but not for Ben: it was made before he was removed.
    await rejects(ben.client.joinInvite(dans.token), 'invite_invalid');
    assert.deepEqual((await ann.client.getChat(chatId)).members.map((m) => m.userId).sort(), [ann.userId, dan.userId].sort());
    // Nobody's device adds him back: he is no member (R18), so no device of his is listed for the group.
    const listed = (await ann.client.listInvites(chatId)).map((i) => i.token);
    assert.deepEqual(listed, [dans.token], "Ben's invite is dead and no longer listed; Dan's lives");
    await ann.client.sendText(chatId, 'after Ben left');
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!(await devicesOf(ann.client, chatId)).includes(ben.userId), "no device added Ben's devices back");
    assert.ok(!(await devicesOf(dan.client, chatId)).includes(ben.userId));
    assert.equal(ben.client.chat(chatId), undefined);

    // An invite made after the removal lets him back: the admins decided again.
    const fresh = await dan.client.createInvite(chatId);
    await ben.client.joinInvite(fresh.token);
    await waitFor(async () => (await devicesOf(ann.client, chatId)).includes(ben.userId), { what: 'Ben added back through the new invite', timeoutMs: 30_000 });
    for (const u of [ann, ben, dan]) await u.client.stop();
  });

  it('R42 an invite dies when its maker is demoted or leaves, and a new promotion does not revive it; a member who left rejoins through a live invite', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat, dan, eve] = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(server.url, { start: false })));
    if (!ann || !ben || !cat || !dan || !eve) throw new Error('users');
    const chatId = await groupWith(ann, [ben, cat, dan], [ben, dan]);
    const bens = await ben.client.createInvite(chatId);
    const dans = await dan.client.createInvite(chatId);
    const anns = await ann.client.createInvite(chatId);

    await ann.client.setRole(chatId, ben.userId, 'member');
    await rejects(eve.client.joinInvite(bens.token), 'invite_invalid');
    await ann.client.setRole(chatId, ben.userId, 'admin');
    await rejects(eve.client.joinInvite(bens.token), 'invite_invalid');

    await dan.client.leaveChat(chatId);
    await rejects(eve.client.joinInvite(dans.token), 'invite_invalid');

    // Cat left on her own (not removed): a live invite takes her back.
    await cat.client.leaveChat(chatId);
    await cat.client.joinInvite(anns.token);
    await eve.client.joinInvite(anns.token);
    const members = (await ann.client.getChat(chatId)).members.map((m) => m.userId).sort();
    assert.deepEqual(members, [ann.userId, ben.userId, cat.userId, eve.userId].sort());
    assert.deepEqual((await ann.client.listInvites(chatId)).map((i) => [i.token, i.uses]), [[anns.token, 2]]);
  });

  it('R42 admins list the live invites (maker, times, uses) and revoke any of them; members and outsiders cannot; a use limit ends an invite', async () => {
    await using server = await startTestServer();
    const [ann, ben, cat, eve, fay] = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(server.url, { start: false })));
    if (!ann || !ben || !cat || !eve || !fay) throw new Error('users');
    const chatId = await groupWith(ann, [ben, cat], [ben]);
    const first = await ann.client.createInvite(chatId);
    const once = await ben.client.createInvite(chatId, { maxUses: 1 });
    assert.equal(once.maxUses, 1);

    const listed = await ben.client.listInvites(chatId);
    assert.deepEqual(listed.map((i) => [i.token, i.createdBy, i.uses, i.maxUses]), [[once.token, ben.userId, 0, 1], [first.token, ann.userId, 0, null]]);
    for (const i of listed) assert.ok(i.expiresAt > i.createdAt && i.expiresAt - i.createdAt <= 7 * 86_400_000);
    await rejects(cat.client.listInvites(chatId), 'forbidden');
    await rejects(cat.client.revokeInvite(chatId, first.token), 'forbidden');
    await rejects(eve.client.listInvites(chatId), 'not_member');
    await rejects(eve.client.revokeInvite(chatId, first.token), 'not_member');

    await eve.client.joinInvite(once.token);
    await rejects(fay.client.joinInvite(once.token), 'invite_invalid');
    // An admin revokes another admin's invite: it stops at once.
    await ben.client.revokeInvite(chatId, first.token);
    await rejects(fay.client.joinInvite(first.token), 'invite_invalid');
    await rejects(ben.client.revokeInvite(chatId, first.token), 'invite_invalid');
    assert.deepEqual(await ann.client.listInvites(chatId), []);

    // Over HTTP: the routes and their codes.
    const token = await ann.store.getMeta('session-token');
    const res = await fetch(`${server.url}/api/v1/chats/${chatId}/invites/not_a_token_123`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual([res.status, ((await res.json()) as { error: { code: string } }).error.code], [404, 'invite_invalid']);
    const bad = await fetch(`${server.url}/api/v1/chats/${chatId}/invites`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ maxUses: 0 }),
    });
    assert.equal(bad.status, 400);
  });

  it('R42 invites expire as configured (a test clock): the creator may choose a shorter life, never a longer one', async () => {
    let now = Date.UTC(2030, 0, 1);
    const HOUR = 3_600_000;
    await using server = await startTestServer({ PARLEY_INVITE_TTL_MS: String(HOUR) }, { clock: { now: () => now } });
    const [ann, eve, fay, gus] = await Promise.all([1, 2, 3, 4].map(() => createUser(server.url, { start: false })));
    if (!ann || !eve || !fay || !gus) throw new Error('users');
    const chatId = await groupWith(ann, []);
    const standard = await ann.client.createInvite(chatId);
    const brief = await ann.client.createInvite(chatId, { expiresInMs: 10 * 60_000 });
    const greedy = await ann.client.createInvite(chatId, { expiresInMs: 30 * 86_400_000 });
    assert.deepEqual([standard.expiresAt, brief.expiresAt, greedy.expiresAt], [now + HOUR, now + 10 * 60_000, now + HOUR]);

    now += 10 * 60_000;
    await rejects(eve.client.joinInvite(brief.token), 'invite_invalid');
    await eve.client.joinInvite(standard.token);
    assert.deepEqual((await ann.client.listInvites(chatId)).map((i) => i.token).sort(), [standard.token, greedy.token].sort());

    now += 50 * 60_000;
    await rejects(fay.client.joinInvite(standard.token), 'invite_invalid');
    await rejects(gus.client.previewInvite(greedy.token), 'invite_invalid');
    assert.deepEqual(await ann.client.listInvites(chatId), []);
  });
});
