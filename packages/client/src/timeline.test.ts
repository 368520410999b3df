import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatSummary, Message, MessageContent } from '@parley/protocol';
import type { DecodedEnvelope } from './store.ts';
import { foldTimeline, mayPin, pinnedItems } from './timeline.ts';

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

function foldAs(kind: 'direct' | 'group', entries: [string, string, MessageContent][], roles: Record<string, 'owner' | 'admin' | 'member'> = {}) {
  const members = ['alice', 'bob', 'carol'].map((id) => ({ ...member(id), role: roles[id] ?? 'member' as const }));
  const summary: ChatSummary = { ...chat, kind, members };
  const messages = entries.map(([id, sender], i): Message => ({
    chatId: chat.chatId, seq: i + 1, clientMsgId: id, senderUserId: sender, senderDeviceId: `${sender}_phone`, sentAt: i, system: null,
    envelope: { contentType: 'parley/mls-app', payload: '' },
  }));
  const byId = new Map(entries.map(([id, , content]) => [id, content]));
  return foldTimeline({
    chat: summary, myUserId: 'alice', messages, outbox: [], decodedOutbox: () => undefined,
    decoded: (m) => ({ kind: 'content', content: byId.get(m.clientMsgId) ?? text('?') }),
  });
}
const pin = (target: string, on = true): MessageContent => ({ kind: 'pin', target, on });

test('R50 pins and unpins in log order: the latest pin first, an unpin takes it off, a repin moves it up, a deletion unpins', () => {
  const items = foldAs('direct', [
    ['first001', 'bob', text('first')],
    ['second01', 'alice', text('second')],
    ['third001', 'bob', text('third')],
    ['pin00001', 'bob', pin('first001')],
    ['pin00002', 'alice', pin('second01')],
    ['pin00003', 'alice', pin('third001')],
    ['unpin001', 'bob', pin('second01', false)],
    ['pin00004', 'bob', pin('first001')],
    ['del00001', 'bob', { kind: 'delete', target: 'third001' }],
  ]);
  assert.deepEqual(pinnedItems(items).map((i) => [i.id, i.pinned?.by]), [['first001', 'bob']]);
  // One line per pin that changed something (a repin of a pinned message says nothing again).
  assert.deepEqual(items.filter((i) => i.notice === 'pinned').map((i) => [i.senderUserId, i.pinOf]), [
    ['bob', { id: 'first001', text: 'first' }],
    ['alice', { id: 'second01', text: 'second' }],
    ['alice', { id: 'third001', text: '' }],
  ]);
  const again = foldAs('direct', [['first001', 'bob', text('first')], ['second01', 'bob', text('second')], ['pin00001', 'bob', pin('first001')], ['pin00002', 'bob', pin('second01')], ['pin00003', 'alice', pin('first001')]]);
  assert.deepEqual(pinnedItems(again).map((i) => i.id), ['first001', 'second01'], 'a repin makes it the latest');
});

test('R50 in a group only admins and the owner pin: a member\'s pin and unpin are ignored', () => {
  const items = foldAs('group', [
    ['first001', 'bob', text('first')],
    ['second01', 'bob', text('second')],
    ['pin00001', 'bob', pin('first001')],
    ['pin00002', 'carol', pin('second01')],
    ['pin00003', 'alice', pin('second01')],
    ['unpin001', 'bob', pin('second01', false)],
    ['pin00004', 'carol', pin('nothere1')],
  ], { alice: 'owner', carol: 'admin' });
  assert.deepEqual(pinnedItems(items).map((i) => [i.id, i.pinned?.by]), [['second01', 'alice']]);
  assert.deepEqual(items.filter((i) => i.notice === 'pinned').map((i) => i.senderUserId), ['carol'], 'the member\'s pin leaves no line; the owner\'s repin neither');
  assert.equal(mayPin({ ...chat, kind: 'group', members: [member('bob')] }, 'bob'), false);
  assert.equal(mayPin(chat, 'bob'), true);
  assert.equal(mayPin(chat, 'mallory'), false);
});

test('R49 a forwarded message shows where it came from; a sender\'s noForwardName is kept on the item', () => {
  const bold = [{ type: 'bold' as const, offset: 0, length: 3 }];
  const items = foldAs('direct', [
    ['fwd00001', 'bob', { kind: 'text', text: 'hey there', entities: bold, forwarded: { from: { userId: 'dave', displayName: 'Dave' }, sentAt: 42 } }],
    ['fwd00002', 'bob', { kind: 'text', text: 'anon', forwarded: { sentAt: 7 } }],
    ['plain001', 'bob', { kind: 'text', text: 'mine only', noForwardName: true }],
  ]);
  assert.deepEqual(items.map((i) => [i.text, i.entities, i.forwarded, i.noForwardName]), [
    ['hey there', bold, { from: { userId: 'dave', displayName: 'Dave' }, sentAt: 42 }, undefined],
    ['anon', undefined, { sentAt: 7 }, undefined],
    ['mine only', undefined, undefined, true],
  ]);
});

test('R52 attachments: shown with their caption (or none), kept by a caption edit, dropped by a deletion; an own upload shows its progress', () => {
  const att = (blobId: string) => ({ blobId, key: 'K'.repeat(43) + '=', sha256: 'a'.repeat(64), size: 10, chunkBytes: 65536, kind: 'image' as const, name: 'p.jpg', mime: 'image/jpeg' });
  const items = fold([
    ['photo0001', { kind: 'content', content: { kind: 'text', text: '', attachments: [att('B'.repeat(22))] } }],
    ['photo0002', { kind: 'content', content: { kind: 'text', text: 'old caption', attachments: [att('C'.repeat(22))] } }],
    ['edit00001', { kind: 'content', content: { kind: 'edit', target: 'photo0002', text: 'new caption' } }],
    ['delete001', { kind: 'content', content: { kind: 'delete', target: 'photo0001' } }],
  ]);
  assert.deepEqual(items.map((i) => [i.id, i.text, i.attachments?.map((a) => a.blobId[0]), i.deleted]), [
    ['photo0001', '', undefined, true],
    ['photo0002', 'new caption', ['C'], false],
  ]);
  const progress = { clientMsgId: 'upload001', chatId: chat.chatId, state: 'uploading' as const, sentBytes: 5, totalBytes: 26, bytesPerSec: 100, etaMs: 210 };
  const uploading = foldTimeline({
    chat, myUserId: 'alice', messages: [], outbox: [], decodedOutbox: () => undefined, decoded: () => undefined,
    uploads: [{ progress, upload: { clientMsgId: 'upload001', chatId: chat.chatId, createdAt: 9, text: 'soon', files: [{ attachment: { ...att('x'), blobId: undefined } as never, source: { path: '/x' } }] } }],
  });
  assert.deepEqual(uploading.map((i) => [i.id, i.text, i.state, i.mine, i.upload?.sentBytes, i.attachments?.[0]?.blobId]), [['upload001', 'soon', 'sending', true, 5, '']]);
});

test('R61 a call folds into one line at its offer: answered then ended with its duration; declined; cancelled by its caller; entries from the wrong side do not count', () => {
  const entries: [string, string, MessageContent][] = [
    ['offer0001', 'bob', { kind: 'call', callId: 'call00001', action: 'offer', media: 'video', sdp: 'v=0 a' }],
    ['ice000001', 'bob', { kind: 'call', callId: 'call00001', action: 'ice', candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 1 typ host' }] }],
    ['selfans01', 'bob', { kind: 'call', callId: 'call00001', action: 'answer', sdp: 'v=0 x', to: 'bob_phone' }],
    ['answer001', 'alice', { kind: 'call', callId: 'call00001', action: 'answer', sdp: 'v=0 b', to: 'bob_phone' }],
    ['end000001', 'alice', { kind: 'call', callId: 'call00001', action: 'end', reason: 'hangup', durationMs: 65_000 }],
    ['offer0002', 'alice', { kind: 'call', callId: 'call00002', action: 'offer', media: 'audio', sdp: 'v=0 c' }],
    ['decline02', 'bob', { kind: 'call', callId: 'call00002', action: 'decline' }],
    ['offer0003', 'bob', { kind: 'call', callId: 'call00003', action: 'offer', media: 'audio', sdp: 'v=0 d' }],
    ['end000003', 'bob', { kind: 'call', callId: 'call00003', action: 'end', reason: 'cancelled' }],
    ['offer0004', 'bob', { kind: 'call', callId: 'call00004', action: 'offer', media: 'audio', sdp: 'v=0 e' }],
    ['end000004', 'bob', { kind: 'call', callId: 'call00004', action: 'end', reason: 'missed' }],
    ['offer0005', 'bob', { kind: 'call', callId: 'call00005', action: 'offer', media: 'audio', sdp: 'v=0 f' }],
  ];
  const messages = entries.map(([id, sender], i): Message => ({
    chatId: chat.chatId, seq: i + 1, clientMsgId: id, senderUserId: sender, senderDeviceId: `${sender}_phone`, sentAt: i * 1000, system: null,
    envelope: { contentType: 'parley/mls-app', payload: '' },
  }));
  const contents = new Map(entries.map(([id, , content]) => [id, content]));
  const items = foldTimeline({
    chat, myUserId: 'alice', messages, outbox: [], decodedOutbox: () => undefined,
    decoded: (m): DecodedEnvelope => ({ kind: 'content', content: contents.get(m.clientMsgId)! }),
  });
  assert.deepEqual(items.map((i) => [i.id, i.text, i.call]), [
    ['offer0001', '', { callId: 'call00001', media: 'video', outcome: 'ended', answeredBy: 'alice', answeredAt: 3000, durationMs: 65_000 }],
    ['offer0002', '', { callId: 'call00002', media: 'audio', outcome: 'declined' }],
    ['offer0003', '', { callId: 'call00003', media: 'audio', outcome: 'cancelled' }],
    ['offer0004', '', { callId: 'call00004', media: 'audio', outcome: 'missed' }],
    ['offer0005', '', { callId: 'call00005', media: 'audio', outcome: 'ringing' }],
  ]);
});
