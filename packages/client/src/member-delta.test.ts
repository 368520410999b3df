import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatSummary, Member } from '@parley/protocol';
import { applyMemberDelta, withMemberDelta } from './member-delta.ts';

const member = (userId: string, readSeq = 0): Member => ({ userId, handle: userId, displayName: userId.toUpperCase(), role: 'member', deliveredSeq: readSeq, readSeq });
const chat: ChatSummary = {
  chatId: 'chat_1', kind: 'group', name: '', color: '#336699', members: [member('ann', 5), member('ben'), member('cat')], lastSeq: 10, unread: 0, createdAt: 1, mlsEpoch: 3,
  requested: [{ userId: 'dan', handle: 'dan', displayName: 'DAN', requestedAt: 2 }, { userId: 'eve', handle: 'eve', displayName: 'EVE', requestedAt: 2 }],
};

describe('R117 member deltas', () => {
  it('removes who left, adds who joined, moves lastSeq forward only, and leaves the held summary as it was', () => {
    const next = applyMemberDelta(chat, { added: [member('dan')], removed: ['ben'], lastSeq: 12 });
    assert.deepEqual(next.members.map((m) => m.userId), ['ann', 'cat', 'dan']);
    assert.equal(next.lastSeq, 12);
    assert.deepEqual(next.requested?.map((r) => r.userId), ['eve'], 'dan asked and is now a member: no longer asked');
    assert.equal(next.members[0]?.readSeq, 5, 'marks kept');
    assert.equal(applyMemberDelta(chat, { added: [], removed: [], lastSeq: 4 }).lastSeq, 10);
    assert.equal(chat.members.length, 3, 'the held summary is not changed in place');
    const again = applyMemberDelta(next, { added: [{ ...member('dan'), role: 'admin' }], removed: [], lastSeq: 13 });
    assert.deepEqual(again.members.map((m) => `${m.userId}:${m.role}`), ['ann:member', 'cat:member', 'dan:admin'], 'a member listed again is replaced, not doubled');
    assert.equal(applyMemberDelta(again, { added: [], removed: ['eve'], lastSeq: 13 }).requested, undefined);
  });

  it('turns a members frame into the chat frame the device would have had; one for an unknown chat passes through', () => {
    const chats = new Map([[chat.chatId, chat]]);
    const frame = { type: 'members' as const, chatId: 'chat_1', added: [member('dan')], removed: [], lastSeq: 11 };
    const out = withMemberDelta(frame, chats);
    assert.equal(out.type, 'chat');
    assert.deepEqual(out.type === 'chat' && out.chat.members.map((m) => m.userId), ['ann', 'ben', 'cat', 'dan']);
    const unknown = { ...frame, chatId: 'chat_2' };
    assert.equal(withMemberDelta(unknown, chats), unknown);
    const other = { type: 'typing' as const, chatId: 'chat_1', userId: 'ann' };
    assert.equal(withMemberDelta(other, chats), other);
  });
});
