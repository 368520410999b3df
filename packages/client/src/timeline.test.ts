import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatSummary, Message, MessageContent } from '@parley/protocol';
import type { DecodedEnvelope } from './store.ts';
import { foldTimeline } from './timeline.ts';

const member = (userId: string) => ({ userId, handle: userId, displayName: userId, role: 'member' as const, deliveredSeq: 0, readSeq: 0 });
const chat: ChatSummary = { chatId: 'chat_fold', kind: 'direct', name: '', color: '#336699', members: [member('alice'), member('bob')], lastSeq: 0, unread: 0, createdAt: 0, mlsEpoch: 1 };

function fold(entries: [string, DecodedEnvelope][], requested: string[] = []) {
  const messages = entries.map(([id], i): Message => ({
    chatId: chat.chatId, seq: i + 1, clientMsgId: id, senderUserId: 'bob', senderDeviceId: 'bob_phone', sentAt: i, system: null,
    envelope: { contentType: 'parley/mls-app', payload: '' },
  }));
  const decoded = new Map(entries);
  return foldTimeline({
    chat, myUserId: 'alice', messages, outbox: [], decodedOutbox: () => undefined, resendRequested: new Set(requested),
    decoded: (m) => decoded.get(m.clientMsgId),
  });
}

const text = (t: string): MessageContent => ({ kind: 'text', text: t });

test('R32 the timeline offers a resend where it helps, shows what was asked for and what was re-sent, and hides the asks and answers', () => {
  const items = fold([
    ['tampered1', { kind: 'unreadable', reason: 'tampered', detail: 'mls_decrypt_failed' }],
    ['keysgone1', { kind: 'unreadable', reason: 'keys_gone' }],
    ['outgroup1', { kind: 'unreadable', reason: 'not_in_group' }],
    ['joined001', { kind: 'unreadable', reason: 'before_join' }],
    ['format001', { kind: 'unreadable', reason: 'unknown_format' }],
    ['filled001', { kind: 'content', content: text('back again'), resent: true }],
    ['request01', { kind: 'content', content: { kind: 'resend_request', ids: ['tampered1'] } }],
    ['answer001', { kind: 'content', content: { kind: 'resent', seq: 6, id: 'filled001', content: text('back again') } }],
  ], ['keysgone1']);
  assert.deepEqual(items.map((i) => [i.id, i.resendable ?? false, i.resendRequested ?? false, i.resent ?? false]), [
    ['tampered1', true, false, false],
    ['keysgone1', true, true, false],
    ['outgroup1', true, false, false],
    ['joined001', false, false, false],
    ['format001', false, false, false],
    ['filled001', false, false, true],
  ]);
  assert.equal(items.at(-1)?.text, 'back again');
  assert.deepEqual(items.slice(0, 2).map((i) => [i.unreadableReason, i.unreadableDetail]), [['tampered', 'mls_decrypt_failed'], ['keys_gone', undefined]], 'the decoder\'s detail, when it gave one');
});

test('R47 a message shows its formatting; an edit replaces it (an edit without entities clears it); a deletion drops it', () => {
  const bold = [{ type: 'bold' as const, offset: 0, length: 4 }];
  const italic = [{ type: 'italic' as const, offset: 0, length: 3 }];
  const items = fold([
    ['fmt00001', { kind: 'content', content: { kind: 'text', text: 'bold text', entities: bold } }],
    ['fmt00002', { kind: 'content', content: { kind: 'text', text: 'plain' } }],
    ['edit0001', { kind: 'content', content: { kind: 'edit', target: 'fmt00002', text: 'now italic', entities: italic } }],
    ['fmt00003', { kind: 'content', content: { kind: 'text', text: 'was bold', entities: bold } }],
    ['edit0002', { kind: 'content', content: { kind: 'edit', target: 'fmt00003', text: 'plain now' } }],
  ]);
  assert.deepEqual(items.map((i) => [i.text, i.entities]), [['bold text', bold], ['now italic', italic], ['plain now', undefined]]);
});
