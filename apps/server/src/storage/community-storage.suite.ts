import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CommunityChatRow, CommunityMemberRow, CommunityRow, CommunityStorage } from './community-storage.ts';
import type { Storage } from './storage.ts';
import { T0, rejectsWith, seedChat, seedUsers, uid } from './storage.fixtures.ts';

const C = 'comm_0001';
const community = (owner: string, id = C): CommunityRow => ({
  communityId: id, name: '', createdAt: T0, ownerId: uid(owner), settings: { roleLabels: 'school', studentsMayDm: false },
});
const cmember = (name: string, role: CommunityMemberRow['role'] = 'member', at = T0, id = C): CommunityMemberRow => ({
  communityId: id, userId: uid(name), role, rights: [], label: null, joinedAt: at,
});
const cchat = (chatId: string, kind: CommunityChatRow['kind'], open = true, id = C): CommunityChatRow => ({ chatId, communityId: id, kind, open, createdAt: T0 });

/**
 * The CommunityStorage contract (R66-R75), run against SQLite and PostgreSQL. `open` gives a fresh,
 * migrated database: its Storage (users and the chats communities link) and its CommunityStorage.
 */
export function communityStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage }>): void {
  describe(`${name}: communities`, () => {
    let storage: Storage;
    let s: CommunityStorage;
    beforeEach(async () => {
      ({ storage, communities: s } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol', 'dave', 'erin');
      await seedChat(storage, 'chat_ann1', ['alice']);
      await seedChat(storage, 'chat_gen1', ['alice']);
      await s.createCommunity(community('alice'), cmember('alice', 'owner'), [cchat('chat_ann1', 'announcements', false), cchat('chat_gen1', 'general')]);
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R66 a community reads back as written with its owner and chats; unknown ids are undefined', async () => {
      assert.deepEqual(await s.getCommunity(C), community('alice'));
      assert.equal(await s.getCommunity('comm_nope'), undefined);
      assert.deepEqual(await s.getCommunityMember(C, uid('alice')), cmember('alice', 'owner'));
      assert.deepEqual(await s.listCommunityChats(C), [cchat('chat_ann1', 'announcements', false), cchat('chat_gen1', 'general')]);
      assert.deepEqual(await s.getCommunityChat('chat_gen1'), cchat('chat_gen1', 'general'));
      assert.equal(await s.getCommunityChat('chat_nope'), undefined);
      await s.updateCommunity(C, { name: 'Block 4', settings: { roleLabels: 'none', studentsMayDm: true } });
      assert.deepEqual(await s.getCommunity(C), { ...community('alice'), name: 'Block 4', settings: { roleLabels: 'none', studentsMayDm: true } });
      assert.deepEqual((await s.listCommunitiesForUser(uid('alice'))).map((c) => c.communityId), [C]);
      assert.deepEqual(await s.listCommunitiesForUser(uid('bob')), []);
    });

    it('R68 members join once; rights, role and label change only as given; counts follow', async () => {
      assert.equal(await s.addCommunityMember(cmember('bob', 'member', T0 + 1)), true);
      assert.equal(await s.addCommunityMember(cmember('bob', 'member', T0 + 2)), false, 'a member is not added twice');
      assert.equal(await s.countCommunityMembers(C), 2);
      assert.equal(await s.countCommunitiesForUser(uid('bob')), 1);
      assert.equal(await s.setCommunityMember(C, uid('bob'), { role: 'admin', rights: ['ban', 'postAnnouncements', 'ban'] }), true);
      assert.deepEqual(await s.getCommunityMember(C, uid('bob')), { ...cmember('bob', 'admin', T0 + 1), rights: ['ban', 'postAnnouncements'] });
      await s.setCommunityMember(C, uid('bob'), { label: 'teacher' });
      assert.deepEqual((await s.getCommunityMember(C, uid('bob')))?.label, 'teacher');
      assert.deepEqual((await s.getCommunityMember(C, uid('bob')))?.rights, ['ban', 'postAnnouncements'], 'a label change keeps the rights');
      await s.setCommunityMember(C, uid('bob'), { label: null });
      assert.equal((await s.getCommunityMember(C, uid('bob')))?.label, null);
      assert.equal(await s.setCommunityMember(C, uid('carol'), { role: 'admin' }), false);
      assert.deepEqual((await s.listCommunityMembers(C)).map((m) => m.userId), [uid('alice'), uid('bob')]);
    });

    it('R73 the member limit holds under concurrent joins', async () => {
      const joins = await Promise.allSettled(['bob', 'carol', 'dave'].map((n) => s.addCommunityMember(cmember(n), { maxMembers: 3 })));
      assert.equal(joins.filter((j) => j.status === 'fulfilled').length, 2);
      assert.equal(await s.countCommunityMembers(C), 3);
      await rejectsWith(s.addCommunityMember(cmember('erin'), { maxMembers: 3 }), 'community_limit');
    });

    it('R68 an invite admits at most maxUses joins, each taken in the join\'s transaction; a spent or unknown one writes nothing', async () => {
      await s.createCommunityInvite({ token: 'tok_00001', communityId: C, createdBy: uid('alice'), createdAt: T0, expiresAt: T0 + 1000, maxUses: 2, uses: 0, needsApproval: false });
      const joins = await Promise.allSettled(['bob', 'carol', 'dave'].map((n) => s.addCommunityMember(cmember(n), { invite: 'tok_00001' })));
      assert.equal(joins.filter((j) => j.status === 'fulfilled').length, 2);
      assert.equal((await s.getCommunityInvite('tok_00001'))?.uses, 2);
      assert.equal(await s.countCommunityMembers(C), 3);
      await rejectsWith(s.addCommunityMember(cmember('zed'), { invite: 'tok_nope1' }), 'invite_invalid');
    });

    it('R70 a handover makes the new owner owner and the old one what was asked, in one step; a non-member cannot be made owner', async () => {
      await s.addCommunityMember(cmember('bob'));
      assert.equal(await s.transferOwnership(C, uid('carol'), 'admin'), false);
      assert.equal((await s.getCommunity(C))?.ownerId, uid('alice'));
      assert.equal(await s.transferOwnership(C, uid('bob'), 'member'), true);
      assert.equal((await s.getCommunity(C))?.ownerId, uid('bob'));
      assert.deepEqual(await s.getCommunityMember(C, uid('bob')), { ...cmember('bob'), role: 'owner' });
      assert.deepEqual(await s.getCommunityMember(C, uid('alice')), { ...cmember('alice'), role: 'member', rights: [] });
      assert.equal(await s.transferOwnership(C, uid('alice'), 'admin'), true);
      assert.equal((await s.getCommunityMember(C, uid('bob')))?.role, 'admin');
      assert.equal((await s.getCommunityMember(C, uid('bob')))?.rights.length, 6, 'a former owner who stays admin keeps every right');
    });

    it('R71 removal and ban: a ban is recorded with the removal and can be lifted', async () => {
      await s.addCommunityMember(cmember('bob'));
      await s.addCommunityMember(cmember('carol'));
      assert.equal(await s.removeCommunityMember(C, uid('bob')), true);
      assert.equal(await s.getCommunityBan(C, uid('bob')), undefined, 'a removal is not a ban');
      assert.equal(await s.removeCommunityMember(C, uid('carol'), { by: uid('alice'), at: T0 + 5 }), true);
      assert.equal(await s.getCommunityMember(C, uid('carol')), undefined);
      assert.equal(await s.getCommunityBan(C, uid('carol')), T0 + 5);
      // Banning someone who already left still records the ban.
      assert.equal(await s.removeCommunityMember(C, uid('dave'), { by: uid('alice'), at: T0 + 6 }), false);
      assert.equal(await s.getCommunityBan(C, uid('dave')), T0 + 6);
      assert.equal(await s.deleteCommunityBan(C, uid('carol')), true);
      assert.equal(await s.deleteCommunityBan(C, uid('carol')), false);
      assert.equal(await s.getCommunityBan(C, uid('carol')), undefined);
      assert.deepEqual(await s.listCommunitiesForUser(uid('carol')), []);
    });

    it('R67 chats are linked, opened or closed, and unlinked', async () => {
      await seedChat(storage, 'chat_top1', ['alice']);
      await s.addCommunityChat(cchat('chat_top1', 'topic', false));
      assert.deepEqual((await s.listCommunityChats(C)).map((c) => c.chatId).sort(), ['chat_ann1', 'chat_gen1', 'chat_top1']);
      await s.setCommunityChatOpen('chat_top1', true);
      assert.equal((await s.getCommunityChat('chat_top1'))?.open, true);
      await s.deleteCommunityChat('chat_top1');
      assert.equal(await s.getCommunityChat('chat_top1'), undefined);
      assert.equal((await s.listCommunityChats(C)).length, 2);
      assert.ok(await storage.getChat('chat_top1'), 'the chat itself stays (its log is the members\' record)');
    });
  });
}
