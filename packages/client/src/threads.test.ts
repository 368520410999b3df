import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatSummary, Message, MessageContent } from '@parley/protocol';
import { foldTimeline } from './timeline.ts';
import { mainFlow, threadItems } from './threads.ts';

const member = (userId: string) => ({ userId, handle: `${userId}_h`, displayName: userId, role: 'member' as const, deliveredSeq: 0, readSeq: 0 });
const chat: ChatSummary = { chatId: 'chat_thrd', kind: 'group', name: '', color: '#336699', lastSeq: 0, unread: 0, createdAt: 0, mlsEpoch: 1, members: ['ann', 'ben', 'cat'].map(member) };

function fold(entries: [string, string, MessageContent][]) {
  const messages = entries.map(([id, sender], i): Message => ({
    chatId: chat.chatId, seq: i + 1, clientMsgId: id, senderUserId: sender, senderDeviceId: `${sender}_d`, sentAt: 100 + i, system: null,
    envelope: { contentType: 'parley/mls-app', payload: '' },
  }));
  const content = new Map(entries.map(([id, , m]) => [id, m]));
  return foldTimeline({
    chat, myUserId: 'ann', messages, outbox: [], decodedOutbox: () => undefined,
    decoded: (m) => { const x = content.get(m.clientMsgId); return x ? { kind: 'content', content: x } : undefined; },
  });
}
const text = (t: string, thread?: string): MessageContent => ({ kind: 'text', text: t, ...(thread ? { thread } : {}) });

test('R89 replies in a thread leave the flow; the root says how many, when the last came and who replied (latest first); deleted replies do not count; threads do not nest; a reply without its root stays in the flow', () => {
  const items = fold([
    ['root00001', 'ann', text('Who fixes the door?')],
    ['othr00001', 'ben', text('unrelated')],
    ['rply00001', 'ben', text('I can', 'root00001')],
    ['rply00002', 'cat', text('me too', 'root00001')],
    ['rply00003', 'ann', text('nested: goes to the root', 'rply00001')],
    ['rply00004', 'cat', text('oops', 'root00001')],
    ['dele00001', 'cat', { kind: 'delete', target: 'rply00004' }],
    ['rply00005', 'ben', text('thread of a missing root', 'missing01')],
  ]);
  assert.deepEqual(mainFlow(items).map((i) => i.id), ['root00001', 'othr00001', 'rply00005']);
  assert.deepEqual(items.find((i) => i.id === 'root00001')?.thread, { replies: 3, lastReplyAt: 104, repliers: ['ann', 'cat', 'ben'] });
  assert.deepEqual(threadItems(items, 'root00001').map((i) => i.id), ['root00001', 'rply00001', 'rply00002', 'rply00003', 'rply00004']);
  assert.equal(items.find((i) => i.id === 'rply00005')?.inThread, undefined, 'a reply whose root this device lacks stays in the flow');
  assert.equal(items.find((i) => i.id === 'othr00001')?.thread, undefined);
});
