import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CommunityMemberRow, CommunityStorage } from './community-storage.ts';
import type { ModerationStorage, ReportRow } from './moderation-storage.ts';
import type { Storage } from './storage.ts';
import { T0, seedChat, seedUsers, uid } from './storage.fixtures.ts';

const C = 'comm_0001';
const cmember = (name: string, role: CommunityMemberRow['role'] = 'member', rights: CommunityMemberRow['rights'] = []): CommunityMemberRow => ({
  communityId: C, userId: uid(name), role, rights, label: null, joinedAt: T0,
});
const report = (id: string, at: number, communityId = C): ReportRow => ({
  reportId: id, communityId, chatId: 'chat_gen1', seq: 3, clientMsgId: 'msg_00001', senderUserId: uid('bob'), reporterUserId: uid('carol'),
  text: 'you are all idiots', reason: null, sentAt: T0, createdAt: at, resolved: null,
});

/**
 * The ModerationStorage contract (R80-R86), run against SQLite and PostgreSQL. `open` gives a fresh,
 * migrated database: its Storage, CommunityStorage and ModerationStorage.
 */
export function moderationStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage; moderation: ModerationStorage }>): void {
  describe(`${name}: moderation`, () => {
    let storage: Storage;
    let s: ModerationStorage;
    beforeEach(async () => {
      let communities: CommunityStorage;
      ({ storage, communities, moderation: s } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol');
      await seedChat(storage, 'chat_ann1', ['alice', 'bob', 'carol']);
      await seedChat(storage, 'chat_gen1', ['alice', 'bob', 'carol']);
      await communities.createCommunity({ communityId: C, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false } },
        cmember('alice', 'owner'), [
          { chatId: 'chat_ann1', communityId: C, kind: 'announcements', open: false, createdAt: T0 },
          { chatId: 'chat_gen1', communityId: C, kind: 'general', open: true, createdAt: T0 },
        ]);
      await communities.addCommunityMember(cmember('bob', 'admin', ['deleteMessages', 'pin']));
      await communities.addCommunityMember(cmember('carol'));
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R80 the moderators are the owner and the admins with their rights, never plain members', async () => {
      assert.deepEqual((await s.listModerators(C)).map((m) => [m.userId, m.role, m.rights]), [[uid('alice'), 'owner', []], [uid('bob'), 'admin', ['deleteMessages', 'pin']]]);
    });

    it('R82 a mute reads back, a second one replaces it, only those still in force are listed, and it can be lifted once', async () => {
      await s.putMute({ communityId: C, userId: uid('carol'), untilMs: T0 + 1000, by: uid('alice'), at: T0 });
      assert.deepEqual(await s.getMute(C, uid('carol')), { communityId: C, userId: uid('carol'), untilMs: T0 + 1000, by: uid('alice'), at: T0 });
      await s.putMute({ communityId: C, userId: uid('carol'), untilMs: T0 + 5000, by: uid('bob'), at: T0 + 10 });
      assert.equal((await s.getMute(C, uid('carol')))?.untilMs, T0 + 5000);
      await s.putMute({ communityId: C, userId: uid('bob'), untilMs: T0 + 100, by: uid('alice'), at: T0 });
      assert.deepEqual((await s.listMutes(C, T0 + 200)).map((m) => m.userId), [uid('carol')]);
      assert.deepEqual((await s.listMutes(C, T0)).map((m) => m.userId), [uid('bob'), uid('carol')]);
      assert.equal(await s.deleteMute(C, uid('carol')), true);
      assert.equal(await s.deleteMute(C, uid('carol')), false);
      assert.equal(await s.getMute(C, uid('carol')), undefined);
    });

    it('R82 slow mode: off by default; the slot is taken once per interval, a resend of the same message passes, the wait is what is left', async () => {
      assert.equal(await s.getSlowMode('chat_gen1'), 0);
      await s.setSlowMode('chat_gen1', 10_000);
      assert.equal(await s.getSlowMode('chat_gen1'), 10_000);
      assert.equal(await s.claimSlowModeSlot('chat_gen1', uid('carol'), 'msg_a0001', T0, 10_000), 0);
      assert.equal(await s.claimSlowModeSlot('chat_gen1', uid('carol'), 'msg_a0001', T0 + 5, 10_000), 0, 'the same message again (R1 resend)');
      assert.equal(await s.claimSlowModeSlot('chat_gen1', uid('carol'), 'msg_b0002', T0 + 4000, 10_000), 6000);
      assert.equal(await s.claimSlowModeSlot('chat_gen1', uid('bob'), 'msg_c0003', T0 + 4000, 10_000), 0, 'per person');
      assert.equal(await s.claimSlowModeSlot('chat_gen1', uid('carol'), 'msg_b0002', T0 + 10_000, 10_000), 0);
      assert.equal(await s.claimSlowModeSlot('chat_gen1', uid('carol'), 'msg_a0001', T0 + 10_001, 10_000), 9999, 'an old id does not take the slot back');
      const both = await Promise.all(['msg_d0001', 'msg_d0002'].map((id) => s.claimSlowModeSlot('chat_ann1', uid('carol'), id, T0, 10_000)));
      assert.deepEqual(both.sort((a, b) => a - b), [0, 10_000], 'two devices at once: one passes');
      await s.setSlowMode('chat_gen1', 0);
      assert.equal(await s.getSlowMode('chat_gen1'), 0);
    });

    it('R84 reports read back newest first, per community or all of them, up to the limit', async () => {
      await s.addReport(report('rep_00001', T0));
      await s.addReport({ ...report('rep_00002', T0 + 1), reason: 'insults' });
      assert.deepEqual(await s.listReports({ communityId: C, limit: 10 }), [{ ...report('rep_00002', T0 + 1), reason: 'insults' }, report('rep_00001', T0)]);
      assert.deepEqual((await s.listReports({ limit: 1 })).map((r) => r.reportId), ['rep_00002']);
      assert.deepEqual(await s.listReports({ communityId: 'comm_none', limit: 10 }), []);
    });

    it('R84b a report is resolved once: the first moderator wins, the lists filter by state', async () => {
      await s.addReport(report('rep_00001', T0));
      await s.addReport(report('rep_00002', T0 + 1));
      const first = { at: T0 + 10, by: uid('alice'), outcome: 'acted' as const };
      assert.deepEqual(await s.resolveReport(C, 'rep_00001', first), { ...report('rep_00001', T0), resolved: first });
      // A second moderator a moment later changes nothing and is told how it stands.
      assert.deepEqual((await s.resolveReport(C, 'rep_00001', { at: T0 + 11, by: uid('bob'), outcome: 'dismissed' }))?.resolved, first);
      assert.equal(await s.resolveReport('comm_none', 'rep_00002', first), undefined, 'another community\'s id does not reach it');
      assert.equal(await s.resolveReport(C, 'rep_nope1', first), undefined);
      assert.deepEqual((await s.listReports({ communityId: C, limit: 10, state: 'open' })).map((r) => r.reportId), ['rep_00002']);
      assert.deepEqual((await s.listReports({ limit: 10, state: 'resolved' })).map((r) => r.reportId), ['rep_00001']);
      assert.deepEqual((await s.listReports({ communityId: C, limit: 10, state: 'all' })).map((r) => r.reportId), ['rep_00002', 'rep_00001']);
    });

    it('R84b retention deletes reports resolved before the cutoff, and open ones filed before it', async () => {
      await s.addReport(report('rep_00001', T0));       // open, old
      await s.addReport(report('rep_00002', T0));       // resolved late: kept
      await s.addReport(report('rep_00003', T0 + 50));  // open, new
      await s.addReport(report('rep_00004', T0));       // resolved early
      await s.resolveReport(C, 'rep_00002', { at: T0 + 100, by: uid('alice'), outcome: 'dismissed' });
      await s.resolveReport(C, 'rep_00004', { at: T0 + 20, by: uid('alice'), outcome: 'acted' });
      assert.equal(await s.deleteReportsBefore(T0 + 30), 2);
      assert.deepEqual((await s.listReports({ limit: 10 })).map((r) => r.reportId).sort(), ['rep_00002', 'rep_00003']);
      assert.equal(await s.deleteReportsBefore(T0 + 30), 0);
    });
  });
}
