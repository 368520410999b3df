import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memberDigest, type ChatSummary, type Member } from '@parley/protocol';
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

  it('R137 a frame that changes no one is only checked: read again on a mismatch, passed on as is (ignored) either way', () => {
    const chats = new Map([[chat.chatId, chat]]);
    const reread: string[] = [];
    const same = { type: 'members' as const, chatId: 'chat_1', added: [], removed: [], lastSeq: 10, digest: memberDigest(['ann', 'ben', 'cat']) };
    assert.equal(withMemberDelta(same, chats, (id) => reread.push(id)), same);
    assert.equal(reread.length, 0);
    const missed = { ...same, digest: memberDigest(['ann', 'ben', 'cat', 'dan']) };
    assert.equal(withMemberDelta(missed, chats, (id) => reread.push(id)), missed);
    assert.deepEqual(reread, ['chat_1']);
  });

  it('R131 a frame whose digest the patched list does not match makes the device read the chat again', () => {
    assert.equal(memberDigest(['ann', 'ben', 'cat']), memberDigest(['cat', 'ann', 'ben']), 'order does not matter');
    assert.notEqual(memberDigest(['ann', 'ben']), memberDigest(['ann', 'bem']));
    const chats = new Map([[chat.chatId, chat]]);
    const reread: string[] = [];
    const frame = (added: string[], digestOf: string[]) => ({ type: 'members' as const, chatId: 'chat_1', added: added.map((id) => member(id)), removed: [], lastSeq: 11, digest: memberDigest(digestOf) });
    withMemberDelta(frame(['dan'], ['ann', 'ben', 'cat', 'dan']), chats, (id) => reread.push(id));
    assert.equal(reread.length, 0, 'in step: nothing to read');
    // The frame for eve came, the one for dan did not.
    const out = withMemberDelta(frame(['eve'], ['ann', 'ben', 'cat', 'dan', 'eve']), chats, (id) => reread.push(id));
    assert.deepEqual(reread, ['chat_1']);
    assert.equal(out.type, 'chat', 'the patched list is used meanwhile');
    const { digest: _, ...old } = frame(['eve'], []);
    withMemberDelta(old, chats, (id) => reread.push(id));
    assert.equal(reread.length, 1, 'a frame without a digest (an older server) is not checked');
  });
});
