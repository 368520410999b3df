import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatSummary, Message, MessageContent } from '@parley/protocol';
import { parseMarkdown } from './formatting/markdown.ts';
import { unreadMentions } from './mentions.ts';
import { foldTimeline } from './timeline.ts';

const member = (userId: string, role: 'owner' | 'admin' | 'member' = 'member', readSeq = 0) => ({ userId, handle: `${userId}_h`, displayName: userId, role, deliveredSeq: 0, readSeq });
const chat = (readSeq = 0): ChatSummary => ({
  chatId: 'chat_ment', kind: 'group', name: '', color: '#336699', lastSeq: 0, unread: 0, createdAt: 0, mlsEpoch: 1,
  members: [member('alice', 'member', readSeq), member('bob', 'admin'), member('carol'), member('dan', 'owner')],
});

function fold(c: ChatSummary, entries: [string, string, MessageContent][]) {
  const messages = entries.map(([id, sender], i): Message => ({
    chatId: c.chatId, seq: i + 1, clientMsgId: id, senderUserId: sender, senderDeviceId: `${sender}_d`, sentAt: i, system: null,
    envelope: { contentType: 'parley/mls-app', payload: '' },
  }));
  const content = new Map(entries.map(([id, , m]) => [id, m]));
  return foldTimeline({
    chat: c, myUserId: 'alice', messages, outbox: [], decodedOutbox: () => undefined,
    decoded: (m) => { const x = content.get(m.clientMsgId); return x ? { kind: 'content', content: x } : undefined; },
  });
}
const say = (md: string, extra: Partial<Extract<MessageContent, { kind: 'text' }>> = {}): MessageContent => {
  const { text, entities } = parseMarkdown(md);
  return { kind: 'text', text, ...(entities.length ? { entities } : {}), ...extra };
};

test('R88 a message mentions me by my handle, by @all or @here from an admin or the owner, or by replying to me; not @all from a member, another handle, or a handle in plain text', () => {
  const items = fold(chat(), [
    ['mine00001', 'alice', say('my own @alice_h')],
    ['ment00001', 'carol', say('hi @alice_h, see this')],
    ['ment00002', 'carol', say('hi @bob_h')],
    ['ment00003', 'bob', say('@all meeting at 6')],
    ['ment00004', 'dan', say('@here quick one')],
    ['ment00005', 'carol', say('@all me too')],
    ['ment00006', 'carol', say('answer', { replyTo: 'mine00001' })],
    ['ment00007', 'carol', { kind: 'text', text: 'no entity @alice_h' }],
  ]);
  assert.deepEqual(items.map((i) => [i.id, i.mentionsMe ?? false]), [
    ['mine00001', false], ['ment00001', true], ['ment00002', false], ['ment00003', true], ['ment00004', true], ['ment00005', false], ['ment00006', true], ['ment00007', false],
  ]);
});

test('R88 an edit that adds or takes out my handle changes the mention; the badge counts unread, undeleted mentions', () => {
  const items = fold(chat(2), [
    ['ment00001', 'carol', say('hi @alice_h')],
    ['ment00002', 'carol', say('hi @alice_h again')],
    ['ment00003', 'carol', say('hello')],
    ['edit00001', 'carol', { kind: 'edit', target: 'ment00003', ...(() => { const { text, entities } = parseMarkdown('hello @alice_h'); return { text, entities }; })() }],
    ['ment00004', 'bob', say('@all vote please')],
    ['dele00001', 'bob', { kind: 'delete', target: 'ment00004' }],
    ['edit00002', 'carol', { kind: 'edit', target: 'ment00002', text: 'hi again' }],
  ]);
  assert.deepEqual(items.filter((i) => i.mentionsMe).map((i) => i.id), ['ment00001', 'ment00003']);
  assert.equal(unreadMentions(chat(2), items, 'alice'), 1, 'ment00001 is read (seq 1 ≤ 2); ment00003 is not; the deleted @all does not count');
});
