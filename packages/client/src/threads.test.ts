import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatSummary, Message, MessageContent } from '@parley/protocol';
import { foldTimeline } from './timeline.ts';
import { mainFlow, ThreadMarks, threadItems } from './threads.ts';

const member = (userId: string) => ({ userId, handle: `${userId}_h`, displayName: userId, role: 'member' as const, deliveredSeq: 0, readSeq: 0 });
const chat: ChatSummary = { chatId: 'chat_thrd', kind: 'group', name: '', color: '#336699', lastSeq: 0, unread: 0, createdAt: 0, mlsEpoch: 1, members: ['ann', 'ben', 'cat'].map(member) };

function fold(entries: [string, string, MessageContent][], threadSeen?: (rootId: string) => number) {
  const messages = entries.map(([id, sender], i): Message => ({
    chatId: chat.chatId, seq: i + 1, clientMsgId: id, senderUserId: sender, senderDeviceId: `${sender}_d`, sentAt: 100 + i, system: null,
    envelope: { contentType: 'parley/mls-app', payload: '' },
  }));
  const content = new Map(entries.map(([id, , m]) => [id, m]));
  return foldTimeline({
    chat, myUserId: 'ann', messages, outbox: [], decodedOutbox: () => undefined, ...(threadSeen ? { threadSeen } : {}),
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
  assert.deepEqual(items.find((i) => i.id === 'root00001')?.thread, { replies: 3, lastReplyAt: 104, repliers: ['ann', 'cat', 'ben'], unread: 0 });
  assert.deepEqual(threadItems(items, 'root00001').map((i) => i.id), ['root00001', 'rply00001', 'rply00002', 'rply00003', 'rply00004']);
  assert.equal(items.find((i) => i.id === 'rply00005')?.inThread, undefined, 'a reply whose root this device lacks stays in the flow');
  assert.equal(items.find((i) => i.id === 'othr00001')?.thread, undefined);
});

test('R89 new replies count in threads the person is in: after their own latest reply and after this device last showed the thread; others\' threads count none', () => {
  const entries: [string, string, MessageContent][] = [
    ['mine00001', 'ann', text('Ann asks: who has a ladder?')],   // 1: Ann's thread
    ['thei00001', 'ben', text('Ben asks: parking?')],             // 2: Ben's thread, Ann not in it
    ['rply00001', 'ben', text('I do', 'mine00001')],              // 3
    ['rply00002', 'cat', text('me too', 'mine00001')],            // 4
    ['rply00003', 'cat', text('by the gate', 'thei00001')],       // 5
    ['rply00004', 'ben', text('it is blue', 'mine00001')],        // 6
  ];
  const unread = (items: ReturnType<typeof fold>, id: string) => items.find((i) => i.id === id)?.thread?.unread;
  let items = fold(entries);
  assert.equal(unread(items, 'mine00001'), 3, 'every reply to her message is new to her');
  assert.equal(unread(items, 'thei00001'), 0, 'a thread she is not in has nothing new for her');
  // Shown up to seq 4 on this device: only the later reply is new.
  items = fold(entries, (root) => (root === 'mine00001' ? 4 : 0));
  assert.equal(unread(items, 'mine00001'), 1);
  // She replies in Ben's thread: she is in it now, and what came before her reply is not new.
  items = fold([...entries, ['rply00005', 'ann', text('thanks', 'thei00001')], ['rply00006', 'ben', text('any time', 'thei00001')]]);
  assert.equal(unread(items, 'thei00001'), 1);
  // Her own reply after Ben's last: nothing new in her thread.
  items = fold([...entries, ['rply00007', 'ann', text('great', 'mine00001')]]);
  assert.equal(unread(items, 'mine00001'), 0);
});

test('R89 ThreadMarks keeps how far each thread was shown, per chat, in the store; only forward', async () => {
  const meta = new Map<string, string>();
  const changed: string[] = [];
  const deps = { getMeta: async (k: string) => meta.get(k), setMeta: async (k: string, v: string) => { meta.set(k, v); }, changed: (c: string) => { changed.push(c); } };
  const marks = new ThreadMarks(deps);
  await marks.see('chat_a', 'root1', 7);
  await marks.see('chat_a', 'root1', 5);
  assert.equal(marks.seen('chat_a', 'root1'), 7, 'a mark never goes back');
  assert.equal(marks.seen('chat_a', 'root2'), 0);
  assert.deepEqual(changed, ['chat_a']);
  const again = new ThreadMarks(deps); // the app restarted
  await again.load('chat_a');
  assert.equal(again.seen('chat_a', 'root1'), 7);
  meta.set('thread-seen:chat_b', '{broken');
  await again.load('chat_b');
  assert.equal(again.seen('chat_b', 'root1'), 0, 'a damaged record counts as never shown');
});
