import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { CommunityMemberRow, CommunityStorage } from './community-storage.ts';
import type { JoinRequestRow, JoinRequestStorage } from './join-request-storage.ts';
import type { Storage } from './storage.ts';
import { T0, seedChat, seedUsers, uid } from './storage.fixtures.ts';

const C = 'comm_0001';
const TOKEN = 'tok_approve1';
const owner: CommunityMemberRow = { communityId: C, userId: uid('alice'), role: 'owner', rights: [], label: null, joinedAt: T0 };
const request = (id: string, name: string, at = T0, communityId = C): JoinRequestRow => ({
  requestId: id, communityId, userId: uid(name), inviteToken: TOKEN, note: `I live in flat ${name.length}`, status: 'pending',
  createdAt: at, decidedBy: null, decidedAt: null,
});

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof ParleyError && err.code === code);
}

/**
 * The JoinRequestStorage contract (R100-R101), run against SQLite and PostgreSQL. `open` gives a
 * fresh, migrated database: its Storage, CommunityStorage and JoinRequestStorage.
 */
export function joinRequestStorageSuite(name: string, open: () => Promise<{ storage: Storage; communities: CommunityStorage; joinRequests: JoinRequestStorage }>): void {
  describe(`${name}: join requests`, () => {
    let storage: Storage;
    let communities: CommunityStorage;
    let s: JoinRequestStorage;
    beforeEach(async () => {
      ({ storage, communities, joinRequests: s } = await open());
      await seedUsers(storage, 'alice', 'bob', 'carol', 'dave', 'erin');
      await seedChat(storage, 'chat_ann1', ['alice']);
      await communities.createCommunity({ communityId: C, name: '', createdAt: T0, ownerId: uid('alice'), settings: { roleLabels: 'none', studentsMayDm: false } },
        owner, [{ chatId: 'chat_ann1', communityId: C, kind: 'announcements', open: false, createdAt: T0 }]);
      await communities.createCommunityInvite({ token: TOKEN, communityId: C, createdBy: uid('alice'), createdAt: T0, expiresAt: T0 + 10_000, maxUses: 5, uses: 0, needsApproval: true });
    });
    afterEach(async () => {
      await storage.close();
    });

    it('R100 an invite keeps whether it needs approval', async () => {
      assert.equal((await communities.getCommunityInvite(TOKEN))?.needsApproval, true);
      await communities.createCommunityInvite({ token: 'tok_open001', communityId: C, createdBy: uid('alice'), createdAt: T0, expiresAt: T0 + 10_000, maxUses: null, uses: 0, needsApproval: false });
      assert.equal((await communities.getCommunityInvite('tok_open001'))?.needsApproval, false);
    });

    it('R100 a request reads back; asking again while pending returns the first one and writes nothing', async () => {
      assert.deepEqual(await s.addJoinRequest(request('jr_00001', 'bob'), { maxPending: 10 }), request('jr_00001', 'bob'));
      assert.deepEqual(await s.getJoinRequest('jr_00001'), request('jr_00001', 'bob'));
      assert.deepEqual(await s.addJoinRequest(request('jr_00002', 'bob', T0 + 5), { maxPending: 10 }), request('jr_00001', 'bob'));
      assert.equal(await s.getJoinRequest('jr_00002'), undefined);
      assert.equal(await s.getJoinRequest('jr_nope1'), undefined);
    });

    it('R100 a community keeps at most maxPending pending requests, also when they arrive at once; closed ones do not count', async () => {
      const at = await Promise.allSettled(['bob', 'carol', 'dave'].map((n, i) => s.addJoinRequest(request(`jr_0000${i}`, n), { maxPending: 2 })));
      assert.equal(at.filter((r) => r.status === 'fulfilled').length, 2);
      assert.ok(at.every((r) => r.status === 'fulfilled' || (r.reason instanceof ParleyError && r.reason.code === 'join_requests_full')));
      await rejectsWith(s.addJoinRequest(request('jr_00009', 'erin'), { maxPending: 2 }), 'join_requests_full');
      const [first] = await s.listPendingJoinRequests(C, 10);
      assert.ok(first);
      assert.equal(await s.closeJoinRequest(first.requestId, 'declined', uid('alice'), T0 + 1), true);
      await s.addJoinRequest(request('jr_00009', 'erin'), { maxPending: 2 });
      assert.equal((await s.listPendingJoinRequests(C, 10)).length, 2);
    });

    it('R101 pending ones list oldest first, a person\'s own newest first in any status', async () => {
      await s.addJoinRequest(request('jr_00002', 'carol', T0 + 2), { maxPending: 10 });
      await s.addJoinRequest(request('jr_00001', 'bob', T0 + 1), { maxPending: 10 });
      assert.deepEqual((await s.listPendingJoinRequests(C, 10)).map((r) => r.requestId), ['jr_00001', 'jr_00002']);
      assert.deepEqual((await s.listPendingJoinRequests(C, 1)).map((r) => r.requestId), ['jr_00001']);
      await s.closeJoinRequest('jr_00001', 'cancelled', uid('bob'), T0 + 3);
      await s.addJoinRequest(request('jr_00003', 'bob', T0 + 4), { maxPending: 10 });
      assert.deepEqual((await s.listJoinRequestsOfUser(uid('bob'), 10)).map((r) => [r.requestId, r.status]), [['jr_00003', 'pending'], ['jr_00001', 'cancelled']]);
      assert.deepEqual((await s.listPendingJoinRequests(C, 10)).map((r) => r.requestId), ['jr_00002', 'jr_00003']);
    });

    it('R101 a request closes once: an approval takes a use of its link, a second decision changes nothing, a reopen gives the use back', async () => {
      await s.addJoinRequest(request('jr_00001', 'bob'), { maxPending: 10 });
      await s.addJoinRequest(request('jr_00002', 'carol'), { maxPending: 10 });
      const both = await Promise.all([s.closeJoinRequest('jr_00001', 'approved', uid('alice'), T0 + 7), s.closeJoinRequest('jr_00001', 'declined', uid('alice'), T0 + 8)]);
      assert.deepEqual(both.filter(Boolean).length, 1, 'two admins at once: one decides');
      const closed = await s.getJoinRequest('jr_00001');
      assert.equal(closed?.decidedBy, uid('alice'));
      assert.equal((await communities.getCommunityInvite(TOKEN))?.uses, closed?.status === 'approved' ? 1 : 0);
      await s.closeJoinRequest('jr_00002', 'approved', uid('alice'), T0 + 9);
      assert.deepEqual(await s.getJoinRequest('jr_00002'), { ...request('jr_00002', 'carol'), status: 'approved', decidedBy: uid('alice'), decidedAt: T0 + 9 });
      const uses = (await communities.getCommunityInvite(TOKEN))?.uses ?? 0;
      await s.reopenJoinRequest('jr_00002');
      assert.deepEqual(await s.getJoinRequest('jr_00002'), request('jr_00002', 'carol'));
      assert.equal((await communities.getCommunityInvite(TOKEN))?.uses, uses - 1);
      assert.equal(await s.closeJoinRequest('jr_nope1', 'declined', uid('alice'), T0), false);
    });
  });
}
