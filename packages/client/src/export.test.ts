import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ChatSummary, Content, Message, SystemEvent } from '@parley/protocol';
import { exportAll, exportChat, exportFileName, serializeExport, type ChatExport } from './export.ts';
import { foldTimeline } from './timeline.ts';

const T0 = Date.UTC(2026, 10, 25, 9, 30, 0, 123);
const alice = { userId: 'alice0001', handle: 'alice', displayName: 'Alice Liddell', role: 'owner' as const, deliveredSeq: 0, readSeq: 0 };
const bob = { userId: 'bob000001', handle: 'bob', displayName: 'Bob "the builder" <b>', role: 'member' as const, deliveredSeq: 0, readSeq: 0 };
const chat: ChatSummary & { title: string } = {
  chatId: 'chat00001', kind: 'group', name: 'Tea party', title: 'Tea party', color: '#336699',
  members: [alice, bob], lastSeq: 0, unread: 0, createdAt: T0, mlsEpoch: 0,
};

/** A chat log the way the server orders it: each entry is (sender, content or system event). */
function log(entries: [string, Content | SystemEvent, string?][]): { messages: Message[]; contents: Map<number, Content> } {
  const contents = new Map<number, Content>();
  const messages = entries.map(([sender, body, id], i): Message => {
    const seq = i + 1;
    const isSystem = !['text', 'edit', 'delete', 'reaction', 'pin'].includes(body.kind);
    if (!isSystem) contents.set(seq, body as Content);
    return {
      chatId: chat.chatId, seq, clientMsgId: id ?? `msg${String(seq).padStart(5, '0')}`, senderUserId: sender, senderDeviceId: 'device001',
      sentAt: T0 + seq * 1000, envelope: isSystem ? null : { contentType: 'parley/plain+json', payload: '' }, system: isSystem ? (body as SystemEvent) : null,
    };
  });
  return { messages, contents };
}

function timeline(entries: Parameters<typeof log>[0], unreadableSeqs: number[] = []) {
  const { messages, contents } = log(entries);
  return foldTimeline({
    chat, myUserId: alice.userId, messages, outbox: [], decodedOutbox: () => undefined,
    decoded: (m) => unreadableSeqs.includes(m.seq) ? { kind: 'unreadable', reason: 'before_join' } : { kind: 'content', content: contents.get(m.seq)! },
  });
}

const exportedBy = { userId: alice.userId, deviceId: 'device001' };

function sample(): ChatExport {
  const items = timeline([
    [alice.userId, { kind: 'created', name: 'Tea party' }],
    [alice.userId, { kind: 'text', text: 'Hello, Bob' }, 'hello0001'],
    [bob.userId, { kind: 'text', text: 'Hi! <script>alert("x")</script> & "quotes"\nnew line 🫖', replyTo: 'hello0001' }, 'reply0001'],
    [alice.userId, { kind: 'edit', target: 'hello0001', text: 'Hello, dear Bob', entities: [{ type: 'italic', offset: 11, length: 4 }] }],
    [bob.userId, { kind: 'text', text: 'a secret I regret' }, 'secret001'],
    [alice.userId, { kind: 'text', text: 'what secret?', replyTo: 'secret001' }, 'quote0001'],
    [bob.userId, { kind: 'delete', target: 'secret001' }],
    [alice.userId, { kind: 'reaction', target: 'reply0001', emoji: '👍', on: true }],
    [bob.userId, { kind: 'reaction', target: 'reply0001', emoji: '👍', on: true }],
    [bob.userId, { kind: 'reaction', target: 'reply0001', emoji: '😂', on: true }],
    [bob.userId, { kind: 'reaction', target: 'reply0001', emoji: '😂', on: false }],
    [bob.userId, { kind: 'text', text: 'from before you joined' }, 'unread001'],
    ['carol0001', { kind: 'text', text: 'bye' }, 'carol0001'],
    [alice.userId, { kind: 'text', text: 'passed along', forwarded: { from: { userId: 'dave00001', displayName: 'Dave' }, sentAt: T0 } }, 'fwd000001'],
    [alice.userId, { kind: 'pin', target: 'hello0001', on: true }],
    [alice.userId, { kind: 'text', text: 'Trains resume at 6', forwarded: { sentAt: T0, channel: { name: 'Night trains' } } }, 'fwd000002'],
  ], [12]);
  return exportChat({ chat, items, exportedBy, now: T0 + 3_600_000 });
}

test('export: what a user reads in the file, edits applied and timestamps in ISO 8601 with ms', () => {
  const doc = sample();
  assert.equal(doc.format, 'parley-chat-export');
  assert.equal(doc.version, 1);
  assert.equal(doc.exportedAt, '2026-11-25T10:30:00.123Z');
  assert.deepEqual(doc.exportedBy, exportedBy);
  assert.deepEqual(doc.chat, {
    id: 'chat00001', kind: 'group', title: 'Tea party', createdAt: '2026-11-25T09:30:00.123Z',
    members: [
      { userId: 'alice0001', handle: 'alice', displayName: 'Alice Liddell', role: 'owner' },
      { userId: 'bob000001', handle: 'bob', displayName: 'Bob "the builder" <b>', role: 'member' },
    ],
  });
  assert.deepEqual(doc.attachments, []);
  // Edits, deletions and reactions are folded into their targets, not listed as messages.
  assert.deepEqual(doc.messages.map((m) => [m.seq, m.id, m.text]), [
    [1, 'msg00001', null],
    [2, 'hello0001', 'Hello, dear Bob'],
    [3, 'reply0001', 'Hi! <script>alert("x")</script> & "quotes"\nnew line 🫖'],
    [5, 'secret001', null],
    [6, 'quote0001', 'what secret?'],
    [12, 'unread001', null],
    [13, 'carol0001', 'bye'],
    [14, 'fwd000001', 'passed along'],
    [16, 'fwd000002', 'Trains resume at 6'],
  ]);
  const [created, hello, reply, , , unreadable, carol, forwarded] = doc.messages;
  assert.deepEqual(forwarded!.forwarded, { from: { userId: 'dave00001', displayName: 'Dave' }, sentAt: '2026-11-25T09:30:00.123Z' }, 'R49');
  assert.deepEqual(doc.messages.find((m) => m.id === 'fwd000002')?.forwarded, { from: null, sentAt: '2026-11-25T09:30:00.123Z', channel: { name: 'Night trains' } }, 'R186: a wrapped channel\'s post keeps the channel\'s name');
  assert.deepEqual(doc.messages.filter((m) => m.pinned).map((m) => m.id), ['hello0001'], 'R50: a pin is a mark on its message, not a line');
  assert.deepEqual(created!.system, { kind: 'created', name: 'Tea party' });
  assert.deepEqual(hello, {
    id: 'hello0001', seq: 2, sender: { userId: 'alice0001', handle: 'alice', displayName: 'Alice Liddell' },
    sentAt: '2026-11-25T09:30:02.123Z', text: 'Hello, dear Bob', entities: [{ type: 'italic', offset: 11, length: 4 }], edited: true, deleted: false, unreadable: false,
    replyTo: null, forwarded: null, pinned: true, reactions: [], system: null,
  });
  // The quote shows the target as it is now (edited).
  assert.deepEqual(reply!.replyTo, { id: 'hello0001', senderUserId: 'alice0001', text: 'Hello, dear Bob' });
  assert.deepEqual(reply!.reactions, [{ emoji: '👍', userIds: ['alice0001', 'bob000001'] }]);
  assert.equal(unreadable!.unreadable, true);
  // Someone no longer in the chat and with no profile given: known only by id.
  assert.deepEqual(carol!.sender, { userId: 'carol0001', handle: null, displayName: null });
});

test('export: deleted messages carry no text, not even in replies quoting them', () => {
  const doc = sample();
  const deleted = doc.messages.find((m) => m.id === 'secret001')!;
  assert.equal(deleted.deleted, true);
  assert.equal(deleted.text, null);
  const quoting = doc.messages.find((m) => m.id === 'quote0001')!;
  assert.deepEqual(quoting.replyTo, { id: 'secret001', senderUserId: 'bob000001', text: null });
  assert.equal(serializeExport(doc).includes('regret'), false);
});

test('export: the file is JSON, never HTML: text round-trips exactly, nothing entity-escaped', () => {
  const doc = sample();
  const file = serializeExport(doc);
  assert.ok(file.endsWith('}\n'));
  assert.equal(file.includes('&amp;') || file.includes('&lt;') || file.includes('&quot;'), false);
  assert.ok(file.includes(String.raw`"Hi! <script>alert(\"x\")</script> & \"quotes\"\nnew line 🫖"`));
  assert.deepEqual(JSON.parse(file), doc);
  // A lone surrogate (possible in a JS string) is written as an escape, so the file stays valid UTF-8.
  const odd = exportChat({ chat, items: timeline([[alice.userId, { kind: 'text', text: 'half \ud83d' }]]), exportedBy, now: T0 });
  const oddFile = serializeExport(odd);
  assert.ok(oddFile.includes('half \\ud83d'));
  assert.equal(JSON.parse(oddFile).messages[0].text, 'half \ud83d');
});

test('export: unsent (outbox) messages are not part of the history; former members named from profiles', () => {
  const { messages, contents } = log([[alice.userId, { kind: 'text', text: 'sent' }], ['carol0001', { kind: 'text', text: 'bye' }]]);
  const items = foldTimeline({
    chat, myUserId: alice.userId, messages,
    decoded: (m) => ({ kind: 'content', content: contents.get(m.seq)! }),
    outbox: [{ chatId: chat.chatId, clientMsgId: 'pending01', createdAt: T0, content: { kind: 'text', text: 'typing…' } } as never],
    decodedOutbox: () => ({ kind: 'text', text: 'not sent yet' }),
  });
  assert.equal(items.length, 3);
  const doc = exportChat({ chat, items, exportedBy, now: T0, profiles: [{ userId: 'carol0001', handle: 'carol', displayName: 'Carol' }] });
  assert.deepEqual(doc.messages.map((m) => m.text), ['sent', 'bye']);
  assert.deepEqual(doc.messages[1]!.sender, { userId: 'carol0001', handle: 'carol', displayName: 'Carol' });
});

test('exportAll: one document per chat, all with the same exportedAt', () => {
  const other = { ...chat, chatId: 'chat00002', kind: 'direct' as const, name: '', title: 'Bob "the builder" <b>' };
  const docs = exportAll({ chats: [{ chat, items: timeline([[alice.userId, { kind: 'text', text: 'one' }]]) }, { chat: other, items: [] }], exportedBy, now: T0 });
  assert.deepEqual(docs.map((d) => [d.chat.id, d.chat.kind, d.chat.title, d.messages.length, d.exportedAt]), [
    ['chat00001', 'group', 'Tea party', 1, '2026-11-25T09:30:00.123Z'],
    ['chat00002', 'direct', 'Bob "the builder" <b>', 0, '2026-11-25T09:30:00.123Z'],
  ]);
  assert.equal(exportFileName(docs[0]!), 'Tea party-2026-11-25.json');
  assert.equal(exportFileName(docs[1]!), 'Bob _the builder_ _b-2026-11-25.json');
  assert.equal(exportFileName({ ...docs[0]!, chat: { ...docs[0]!.chat, title: '../..' } }), 'chat-2026-11-25.json');
});

test('export: validates against docs/export.schema.json (draft 2020-12)', () => {
  const schema: unknown = JSON.parse(readFileSync(new URL('../../../docs/export.schema.json', import.meta.url), 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
  addFormats(ajv);
  const validate = ajv.compile(schema as object);
  const doc: unknown = JSON.parse(serializeExport(sample()));
  assert.equal(validate(doc), true, JSON.stringify(validate.errors, null, 2));
  // The schema itself enforces the rules a reader relies on.
  const bad = JSON.parse(serializeExport(sample())) as ChatExport;
  bad.messages.find((m) => m.deleted)!.text = 'resurrected';
  assert.equal(validate(bad), false);
  const extra = { ...(JSON.parse(serializeExport(sample())) as ChatExport), attachments: [{}] };
  assert.equal(validate(extra), false);
  const badTime = JSON.parse(serializeExport(sample())) as ChatExport;
  badTime.messages[0]!.sentAt = '2026-11-25 09:30';
  assert.equal(validate(badTime), false);
});
