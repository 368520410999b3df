import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatSummary } from '@parley/protocol';
import { isNoteToSelf } from './note-to-self.ts';

const member = (userId: string) => ({ userId, displayName: userId, handle: userId, role: 'member' as const, deliveredSeq: 0, readSeq: 0 });
const chat = (over: Partial<ChatSummary>): ChatSummary =>
  ({ chatId: 'chat_1', kind: 'direct', name: '', color: '#90a4ae', members: [member('user_me')], lastSeq: 1, unread: 0, createdAt: 0, mlsEpoch: 0, ...over }) as ChatSummary;

describe('note to self', () => {
  it('is the direct chat of the user alone', () => {
    assert.equal(isNoteToSelf(chat({}), 'user_me'), true);
    assert.equal(isNoteToSelf(chat({}), 'user_other'), false);
    assert.equal(isNoteToSelf(chat({ members: [member('user_me'), member('user_ann')] }), 'user_me'), false);
    assert.equal(isNoteToSelf(chat({ kind: 'group' }), 'user_me'), false);
  });

  it('R44 a direct chat waiting for the other person to accept is not the note to self', () => {
    const waiting = chat({ requested: [{ userId: 'user_ann', displayName: 'Ann', handle: 'ann', requestedAt: 0 }] as ChatSummary['requested'] });
    assert.equal(isNoteToSelf(waiting, 'user_me'), false);
  });
});
