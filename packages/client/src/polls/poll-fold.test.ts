import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatSummary, Message, MessageContent } from '@parley/protocol';
import { foldTimeline } from '../timeline.ts';

const member = (userId: string) => ({ userId, handle: userId, displayName: userId, role: 'member' as const, deliveredSeq: 0, readSeq: 0 });
const chat: ChatSummary = { chatId: 'chat_polls', kind: 'group', name: '', color: '#336699', members: ['alice', 'bob', 'carol', 'dan'].map(member), lastSeq: 0, unread: 0, createdAt: 0, mlsEpoch: 1 };

/** Folds entries [id, sender, time, content] as alice's device sees them. */
function fold(entries: [string, string, number, MessageContent][]) {
  const messages = entries.map(([id, sender, at], i): Message => ({
    chatId: chat.chatId, seq: i + 1, clientMsgId: id, senderUserId: sender, senderDeviceId: `${sender}_phone`, sentAt: at, system: null,
    envelope: { contentType: 'parley/mls-app', payload: '' },
  }));
  const content = new Map(entries.map(([id, , , c]) => [id, c]));
  return foldTimeline({
    chat, myUserId: 'alice', messages, outbox: [], decodedOutbox: () => undefined,
    decoded: (m) => { const c = content.get(m.clientMsgId); return c ? { kind: 'content', content: c } : undefined; },
  });
}

const poll = (over: Partial<Extract<MessageContent, { kind: 'poll' }>> = {}): MessageContent => ({
  kind: 'poll', question: 'When do we meet?', options: ['Monday', 'Tuesday', 'Friday'], multiple: false, anonymous: false, ...over,
});
const vote = (target: string, choices: number[]): MessageContent => ({ kind: 'vote', target, choices });

test('R87 a poll shows its question and the tally of each person\'s latest vote, with who chose what', () => {
  const [item] = fold([
    ['poll00001', 'bob', 10, poll()],
    ['vote00001', 'alice', 11, vote('poll00001', [0])],
    ['vote00002', 'carol', 12, vote('poll00001', [2])],
    ['vote00003', 'dan', 13, vote('poll00001', [2])],
    ['vote00004', 'carol', 14, vote('poll00001', [1])], // carol changes her mind
    ['vote00005', 'dan', 15, vote('poll00001', [])], // dan takes his vote back
  ]);
  assert.equal(item?.text, 'When do we meet?');
  assert.deepEqual(item?.poll?.options, [
    { text: 'Monday', votes: 1, voters: ['alice'] },
    { text: 'Tuesday', votes: 1, voters: ['carol'] },
    { text: 'Friday', votes: 0, voters: [] },
  ]);
  assert.equal(item?.poll?.voters, 2);
  assert.deepEqual(item?.poll?.myChoices, [0]);
});

test('R87 an anonymous poll shows counts only; a multiple-choice poll counts a person once in its voters', () => {
  const [item] = fold([
    ['poll00001', 'bob', 10, poll({ anonymous: true, multiple: true })],
    ['vote00001', 'carol', 11, vote('poll00001', [0, 2])],
    ['vote00002', 'dan', 12, vote('poll00001', [2])],
  ]);
  assert.deepEqual(item?.poll?.options, [{ text: 'Monday', votes: 1 }, { text: 'Tuesday', votes: 0 }, { text: 'Friday', votes: 2 }]);
  assert.equal(item?.poll?.voters, 2);
  assert.equal(item?.poll?.anonymous, true);
});

test('R87 votes that do not fit are not counted: two choices in a single-choice poll, an index past the options, a vote for a non-poll or a deleted poll', () => {
  const items = fold([
    ['poll00001', 'bob', 10, poll()],
    ['text00001', 'bob', 11, { kind: 'text', text: 'not a poll' }],
    ['vote00001', 'carol', 12, vote('poll00001', [0, 1])],
    ['vote00002', 'dan', 13, vote('poll00001', [7])],
    ['vote00003', 'dan', 14, vote('text00001', [0])],
    ['poll00002', 'bob', 15, poll({ question: 'Deleted?' })],
    ['vote00004', 'carol', 16, vote('poll00002', [0])],
    ['dele00001', 'bob', 17, { kind: 'delete', target: 'poll00002' }],
  ]);
  assert.deepEqual(items[0]?.poll?.options.map((o) => o.votes), [0, 0, 0]);
  assert.equal(items[1]?.poll, undefined);
  assert.equal(items[2]?.deleted, true);
  assert.equal(items[2]?.poll, undefined, 'a deleted poll shows no tally');
});

test('R87 a poll closes at its time or when its sender closes it: later votes do not count, a close by someone else does nothing, and nobody edits a poll', () => {
  const items = fold([
    ['poll00001', 'bob', 10, poll({ closesAt: 100 })],
    ['vote00001', 'carol', 50, vote('poll00001', [0])],
    ['vote00002', 'dan', 100, vote('poll00001', [1])], // at the closing time: too late
    ['poll00002', 'bob', 110, poll({ question: 'Closed early?' })],
    ['close0001', 'carol', 111, { kind: 'poll_close', target: 'poll00002' }], // not hers to close
    ['vote00003', 'carol', 112, vote('poll00002', [0])],
    ['close0002', 'bob', 113, { kind: 'poll_close', target: 'poll00002' }],
    ['vote00004', 'dan', 114, vote('poll00002', [1])],
    ['vote00005', 'carol', 115, vote('poll00002', [2])], // her counted vote stays
    ['edit00001', 'bob', 116, { kind: 'edit', target: 'poll00002', text: 'Something else?' }],
  ]);
  assert.deepEqual(items[0]?.poll?.options.map((o) => o.voters), [['carol'], [], []]);
  assert.equal(items[1]?.poll?.closedAt, 113);
  assert.deepEqual(items[1]?.poll?.options.map((o) => o.voters), [['carol'], [], []]);
  assert.equal(items[1]?.text, 'Closed early?');
  assert.equal(items[1]?.edited, false);
});

test('R151 a quiz keeps each person\'s first answer (a change or taking it back does not count) and carries its right option', () => {
  const [item] = fold([
    ['poll00001', 'bob', 10, poll({ quiz: { correct: 1, explanation: 'We said Tuesday' } })],
    ['vote00001', 'alice', 11, vote('poll00001', [0])],
    ['vote00002', 'alice', 12, vote('poll00001', [1])], // too late: her first answer stands
    ['vote00003', 'carol', 13, vote('poll00001', [])], // no answer
    ['vote00004', 'carol', 14, vote('poll00001', [1])],
    ['vote00005', 'carol', 15, vote('poll00001', [])], // not taken back
  ]);
  assert.deepEqual(item?.poll?.quiz, { correct: 1, explanation: 'We said Tuesday' });
  assert.deepEqual(item?.poll?.myChoices, [0]);
  assert.deepEqual(item?.poll?.options.map((o) => o.voters), [['alice'], ['carol'], []]);
  assert.equal(item?.poll?.voters, 2);
});
