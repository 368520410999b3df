import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatSummary, Content, Message } from '@parley/protocol';
import { foldTimeline, itemOfEntry } from '../timeline.ts';
import { frank } from './franking.ts';

const member = (userId: string) => ({ userId, handle: userId, displayName: userId, role: 'member' as const, deliveredSeq: 0, readSeq: 0 });
const summary: ChatSummary = {
  chatId: 'chat_general', kind: 'group', name: '', color: '#336699', lastSeq: 0, unread: 0, createdAt: 0, mlsEpoch: 1,
  members: [member('ann'), member('ben'), member('cat')],
  community: { communityId: 'comm_house', kind: 'general', mayPost: true, moderators: [] },
};

/** An entry with its content; `tag` as the sender's device gave it ('own': the true commitment to the content's key and text). */
type Entry = { id: string; sender: string; content: Content; tag?: 'own' | string };

async function fold(entries: Entry[]) {
  const messages: Message[] = [];
  const contents = new Map<string, Content>();
  for (const [i, e] of entries.entries()) {
    let content = e.content;
    let tag = e.tag;
    if (e.tag === 'own' && (content.kind === 'text' || content.kind === 'edit')) {
      const made = await frank(summary.chatId, e.id, content.text);
      content = { ...content, frank: made.key };
      tag = made.tag;
    }
    contents.set(e.id, content);
    messages.push({
      chatId: summary.chatId, seq: i + 1, clientMsgId: e.id, senderUserId: e.sender, senderDeviceId: `${e.sender}_phone`, sentAt: i,
      system: null, envelope: { contentType: 'parley/mls-app', payload: '' }, ...(tag !== undefined ? { frank: tag } : {}),
    });
  }
  return foldTimeline({
    chat: summary, myUserId: 'cat', messages, outbox: [], decodedOutbox: () => undefined,
    decoded: (m) => { const c = contents.get(m.clientMsgId); return c ? { kind: 'content', content: c } : undefined; },
  });
}

const text = (t: string): Content => ({ kind: 'text', text: t });
const edit = (target: string, t: string, frankKey?: string): Content => ({ kind: 'edit', target, text: t, ...(frankKey ? { frank: frankKey } : {}) });

test('R122 a franked edit moves the proof to the edit\'s entry; an edit by someone else changes nothing; one whose tag does not open leaves the message unreportable', async () => {
  const items = await fold([
    { id: 'msg000001', sender: 'ben', content: text('Nice weather'), tag: 'own' },
    { id: 'edit00001', sender: 'ben', content: edit('msg000001', 'You are all idiots'), tag: 'own' },
    { id: 'edit00002', sender: 'ann', content: edit('msg000001', 'Ann\'s words'), tag: 'own' },
    { id: 'msg000002', sender: 'ben', content: text('Second'), tag: 'own' },
    { id: 'edit00003', sender: 'ben', content: edit('msg000002', 'No proof of this', 'A'.repeat(43) + '='), tag: 'B'.repeat(43) + '=' },
    { id: 'msg000003', sender: 'ben', content: text('Third'), tag: 'own' },
    { id: 'edit00004', sender: 'ben', content: edit('msg000003', 'Edited by an old app') },
  ]);
  const [first, second, third] = items;
  assert.deepEqual([first?.text, first?.franked?.text, first?.franked?.seq, first?.franked?.clientMsgId, first?.unfranked], ['You are all idiots', 'You are all idiots', 2, 'edit00001', undefined]);
  assert.deepEqual(first?.editIds, ['edit00001'], 'only the sender\'s own edit applies');
  assert.deepEqual([second?.text, second?.franked, second?.unfranked], ['No proof of this', undefined, true]);
  assert.deepEqual([third?.text, third?.franked, third?.unfranked], ['Edited by an old app', undefined, true]);
  assert.equal(itemOfEntry(items, 'edit00001')?.id, 'msg000001');
  assert.equal(itemOfEntry(items, 'edit00002'), undefined);
});
