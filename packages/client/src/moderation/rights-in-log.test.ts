import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatSummary, CommunityRight, Content, Message, ServerFrameOf, SystemEvent } from '@parley/protocol';
import { CodecFailed, CodecWaiting, type ContentCodec } from '../codec.ts';
import { Outbox } from '../outbox.ts';
import { MemoryStore } from '../stores/memory-store.ts';
import { foldTimeline, mayDeleteOthers, mayPin, type FoldInput } from '../timeline.ts';
import { rightsHold } from './rights-hold.ts';
import { rightsDisputes, rightsInLog, type OwnStanding } from './rights-in-log.ts';

const member = (userId: string, role: 'owner' | 'admin' | 'member' = 'member') => ({ userId, handle: userId, displayName: userId, role, deliveredSeq: 0, readSeq: 0 });

/** A community's general chat: ann owns it, ben is an admin with `rights`, cat and dan are members. */
function chat(benRights: CommunityRight[]): ChatSummary {
  return {
    chatId: 'chat_general', kind: 'group', name: '', color: '#336699', lastSeq: 0, unread: 0, createdAt: 0, mlsEpoch: 1,
    members: [member('ann', 'owner'), member('ben', 'admin'), member('cat'), member('dan')],
    community: {
      communityId: 'comm_house', kind: 'general', mayPost: true,
      moderators: [{ userId: 'ann', rights: ['postAnnouncements', 'deleteMessages', 'ban', 'invite', 'manageChats', 'pin'] }, { userId: 'ben', rights: benRights }],
    },
  };
}

type Entry = [id: string, sender: string, what: Content | SystemEvent];
const isSystem = (w: Content | SystemEvent): w is SystemEvent => ['moderation', 'role_changed', 'member_added'].includes(w.kind);

function fold(summary: ChatSummary, entries: Entry[], more: Partial<FoldInput> = {}) {
  const messages = entries.map(([id, sender, what], i): Message => ({
    chatId: summary.chatId, seq: i + 1, clientMsgId: id, senderUserId: sender, senderDeviceId: `${sender}_phone`, sentAt: i,
    system: isSystem(what) ? what : null, envelope: isSystem(what) ? null : { contentType: 'parley/mls-app', payload: '' },
  }));
  const contents = new Map(entries.filter(([, , w]) => !isSystem(w)).map(([id, , w]) => [id, w as Content]));
  return foldTimeline({
    chat: summary, myUserId: 'cat', messages, outbox: [], decodedOutbox: () => undefined,
    decoded: (m) => { const c = contents.get(m.clientMsgId); return c ? { kind: 'content', content: c } : undefined; }, ...more,
  });
}

const text = (t: string): Content => ({ kind: 'text', text: t });
const del = (target: string): Content => ({ kind: 'delete', target });
const rights = (userId: string, before: CommunityRight[], after: CommunityRight[]): SystemEvent => ({
  kind: 'moderation', action: 'rights_changed', userId, role: 'admin', rights: after, before: { role: 'admin', rights: before },
});

test('R80 in a community chat a deletion by a holder of deleteMessages removes the message for everyone and leaves a line; one by a member is ignored', () => {
  const items = fold(chat(['deleteMessages']), [
    ['msg_cat01', 'cat', text('buy my stuff')],
    ['msg_dan01', 'dan', text('hello neighbours')],
    ['del_ben01', 'ben', del('msg_cat01')],
    ['del_dan01', 'dan', del('msg_cat01')],
    ['del_cat01', 'cat', del('msg_dan01')],
  ]);
  const shown = items.map((i) => [i.id, i.text, i.deleted, i.deletedBy, i.notice, i.deletedOf?.senderUserId]);
  assert.deepEqual(shown, [
    ['msg_cat01', '', true, 'ben', undefined, undefined],
    ['msg_dan01', 'hello neighbours', false, undefined, undefined, undefined],
    ['del_ben01', '', false, undefined, 'deleted_by_moderator', 'cat'],
  ]);
});

test('R80 rights count as they were at that point of the log: a deletion before the right was taken stays, one after is ignored, one before it was given is ignored', () => {
  const items = fold(chat([]), [
    ['msg_cat01', 'cat', text('first')],
    ['msg_cat02', 'cat', text('second')],
    ['msg_cat03', 'cat', text('third')],
    ['del_ben00', 'ben', del('msg_cat03')],
    ['rights_01', 'ann', rights('ben', [], ['deleteMessages'])],
    ['del_ben01', 'ben', del('msg_cat01')],
    ['rights_02', 'ann', rights('ben', ['deleteMessages'], [])],
    ['del_ben02', 'ben', del('msg_cat02')],
  ]);
  const messages = items.filter((i) => i.id.startsWith('msg_')).map((i) => [i.id, i.deleted]);
  assert.deepEqual(messages, [['msg_cat01', true], ['msg_cat02', false], ['msg_cat03', false]]);
});

test('R80 in a community chat pins count only from holders of the pin right (an admin without it is ignored, the owner pins)', () => {
  const items = fold(chat(['deleteMessages']), [
    ['msg_cat01', 'cat', text('meeting at 7')],
    ['msg_cat02', 'cat', text('water off tomorrow')],
    ['pin_ben01', 'ben', { kind: 'pin', target: 'msg_cat01', on: true }],
    ['pin_ann01', 'ann', { kind: 'pin', target: 'msg_cat02', on: true }],
  ]);
  assert.deepEqual(items.filter((i) => i.pinned).map((i) => [i.id, i.pinned?.by]), [['msg_cat02', 'ann']]);
  assert.equal(mayPin(chat(['deleteMessages']), 'ben'), false);
  assert.equal(mayPin(chat(['pin']), 'ben'), true);
  assert.equal(mayDeleteOthers(chat(['pin']), 'ben'), false);
  assert.equal(mayDeleteOthers(chat(['deleteMessages']), 'ben'), true);
  assert.equal(mayDeleteOthers(chat(['deleteMessages']), 'cat'), false);
});

test('R80 outside communities nothing changes: in a group an admin deletes only their own messages', () => {
  const { community: _c, ...group } = chat(['deleteMessages']);
  const items = fold(group, [['msg_cat01', 'cat', text('mine')], ['del_ben01', 'ben', del('msg_cat01')]]);
  assert.deepEqual(items.map((i) => [i.id, i.deleted]), [['msg_cat01', false]]);
  assert.equal(mayDeleteOthers(group, 'ann'), false);
});

const ALL: CommunityRight[] = ['postAnnouncements', 'deleteMessages', 'ban', 'invite', 'manageChats', 'pin'];
const signedBy = (owner: string, moderators: { userId: string; rights: CommunityRight[] }[]): Content => ({ kind: 'community_rights', communityId: 'comm_house', owner, moderators });

test('R138 after the owner signs the standing, a rights line of the server\'s alone changes nothing: the server-made admin\'s deletion is ignored and the line is marked', () => {
  // The server says (summary and a line) that dan holds deleteMessages; the owner's signed standing never gave it.
  const summary = chat([]);
  summary.community?.moderators?.push({ userId: 'dan', rights: ['deleteMessages'] });
  const items = fold(summary, [
    ['rights_s1', 'ann', signedBy('ann', [{ userId: 'ben', rights: [] }])],
    ['msg_cat01', 'cat', text('my flat is for sale')],
    ['rights_01', 'ann', rights('dan', [], ['deleteMessages'])],
    ['del_dan01', 'dan', del('msg_cat01')],
  ]);
  assert.deepEqual(items.map((i) => [i.id, i.deleted, i.unconfirmed]), [['msg_cat01', false, undefined], ['rights_01', false, true]]);
});

test('R138 a line the owner\'s next statement confirms is no longer marked, and the rights it gave count; a statement from anyone but the signed owner is refused and shown', () => {
  const items = fold(chat([]), [
    ['rights_s1', 'ann', signedBy('ann', [])],
    ['msg_cat01', 'cat', text('first')],
    ['rights_01', 'ann', rights('ben', [], ['deleteMessages'])],
    ['rights_s2', 'ann', signedBy('ann', [{ userId: 'ben', rights: ['deleteMessages'] }])],
    ['del_ben01', 'ben', del('msg_cat01')],
    ['forged_s3', 'ben', signedBy('ben', [{ userId: 'dan', rights: ALL }])],
    ['msg_cat02', 'cat', text('second')],
    ['del_dan01', 'dan', del('msg_cat02')],
  ]);
  assert.deepEqual(items.map((i) => [i.id, i.deleted, i.notice, i.unconfirmed]), [
    ['msg_cat01', true, undefined, undefined],
    ['rights_01', false, undefined, undefined],
    ['del_ben01', false, 'deleted_by_moderator', undefined],
    ['forged_s3', false, 'rights_not_signed', true],
    ['msg_cat02', false, undefined, undefined],
  ]);
});

test('R138 a handover the owner signs moves the chain: the new owner\'s statements count, the old owner\'s no longer do', () => {
  const items = fold(chat([]), [
    ['rights_s1', 'ann', signedBy('ann', [])],
    ['rights_s2', 'ann', signedBy('ben', [{ userId: 'ann', rights: [] }])],
    ['msg_cat01', 'cat', text('first')],
    ['del_ann01', 'ann', del('msg_cat01')],
    ['rights_s3', 'ann', signedBy('ann', [])],
    ['rights_s4', 'ben', signedBy('ben', [{ userId: 'dan', rights: ['deleteMessages'] }])],
    ['del_dan01', 'dan', del('msg_cat01')],
  ]);
  assert.deepEqual(items.map((i) => [i.id, i.deleted, i.notice]), [
    ['msg_cat01', true, undefined],
    ['rights_s3', false, 'rights_not_signed'],
    ['del_dan01', false, 'deleted_by_moderator'],
  ]);
});

test('R138 before the owner\'s first statement (a community from before R138) the server\'s word stands, and a member\'s statement does not start the chain', () => {
  const items = fold(chat(['deleteMessages']), [
    ['forged_s1', 'dan', signedBy('dan', [])],
    ['msg_cat01', 'cat', text('first')],
    ['del_ben01', 'ben', del('msg_cat01')],
  ]);
  assert.deepEqual(items.map((i) => [i.id, i.deleted, i.notice]), [
    ['forged_s1', false, 'rights_not_signed'],
    ['msg_cat01', true, undefined],
    ['del_ben01', false, 'deleted_by_moderator'],
  ]);
});

test('R138 the SDK names the members the server\'s summary and the owner\'s signed standing disagree on, and none before the chain starts', () => {
  const summary = chat(['pin']);
  summary.community?.moderators?.push({ userId: 'dan', rights: ['ban'] });
  const rights = rightsInLog(summary, []);
  assert.deepEqual(rightsDisputes(summary, rights), []);
  assert.equal(rights.signed('ann', { kind: 'community_rights', communityId: 'comm_house', owner: 'ann', moderators: [{ userId: 'ben', rights: ['pin'] }] }), true);
  assert.deepEqual(rightsDisputes(summary, rights), ['dan']);
});

test('R138 the server\'s handover lines agree with a signed handover: the heir\'s owner line means every right', () => {
  const owner: SystemEvent = { kind: 'moderation', action: 'rights_changed', userId: 'ben', role: 'owner', rights: [], before: { role: 'admin', rights: [] } };
  const items = fold(chat([]), [
    ['rights_s1', 'ann', signedBy('ann', [])],
    ['rights_s2', 'ann', signedBy('ben', [])],
    ['rights_01', 'ann', owner],
  ]);
  assert.deepEqual(items.map((i) => [i.id, i.unconfirmed]), [['rights_01', undefined]]);
});

test('R138 a device that joined after the first statement starts the chain at the owner\'s next one, the handover\'s owner lines naming her rights', () => {
  // The summary no longer lists ann (she handed over); her handover line says she was the owner before it.
  const summary = chat([]);
  if (summary.community) summary.community.moderators = [{ userId: 'ben', rights: ALL }];
  const annLine: SystemEvent = { kind: 'moderation', action: 'rights_changed', userId: 'ann', role: 'member', rights: [], before: { role: 'owner', rights: [] } };
  const items = fold(summary, [
    ['rights_s1', 'ann', signedBy('ben', [])],
    ['rights_01', 'ann', annLine],
    ['rights_s2', 'ben', signedBy('ben', [{ userId: 'cat', rights: ['pin'] }])],
  ]);
  assert.deepEqual(items.map((i) => [i.id, i.notice, i.unconfirmed]), [['rights_01', undefined, undefined]]);
});

test('R156 a ban or mute line counts only when a holder of ban stated the same sanction in the chat; from the first statement on, the server\'s alone is marked unconfirmed', () => {
  const sanction = (action: 'banned' | 'unbanned' | 'muted' | 'unmuted', userId: string, untilMs?: number): Content => ({ kind: 'community_sanction', communityId: 'comm_house', action, userId, ...(untilMs ? { untilMs } : {}) });
  const line = (action: 'banned' | 'unbanned' | 'muted' | 'unmuted', userId: string, untilMs?: number): SystemEvent => ({ kind: 'moderation', action, userId, ...(untilMs ? { untilMs } : {}) });
  const items = fold(chat([]), [
    ['mod_old01', 'ann', line('muted', 'dan', 100)], // before any statement: the server's word
    ['san_ann01', 'ann', sanction('muted', 'dan', 500)],
    ['mod_ann01', 'ann', line('muted', 'dan', 500)],
    ['mod_srv01', 'ann', line('muted', 'cat', 900)], // no one stated it
    ['san_ben01', 'ben', sanction('unmuted', 'dan')], // ben holds no ban right
    ['mod_ben01', 'ben', line('unmuted', 'dan')],
    ['mod_srv02', 'ann', line('muted', 'dan', 999)], // a longer mute than Ann said
    ['mod_ann02', 'ann', line('banned', 'dan')], // the line may land before the statement
    ['san_ann02', 'ann', sanction('banned', 'dan')],
  ]);
  assert.deepEqual(items.filter((i) => i.system).map((i) => [i.id, i.unconfirmed ?? false]), [
    ['mod_old01', false], ['mod_ann01', false], ['mod_srv01', true], ['mod_ben01', true], ['mod_srv02', true], ['mod_ann02', false],
  ]);
  assert.equal(items.some((i) => i.id.startsWith('san_')), false, 'statements are not lines');
});

test('R159 an admin\'s device holds a deletion of someone else\'s message until the owner\'s signed statement of the right is in its log; after the wait it fails with rights_unconfirmed', async () => {
  const statement = (moderators: { userId: string; rights: CommunityRight[] }[]): Content => ({ kind: 'community_rights', communityId: 'comm_house', owner: 'ann', moderators });
  const granted: Entry[] = [['sta_ann01', 'ann', statement([])], ['msg_cat01', 'cat', text('buy my stuff')], ['mod_srv01', 'ann', rights('ben', [], ['deleteMessages'])]];
  const summary = chat(['deleteMessages']);
  let log = granted;
  let clock = 1_000;
  const standing = (): OwnStanding | undefined => {
    let own: OwnStanding | undefined;
    fold(summary, log, { myUserId: 'ben', ownStanding: (s) => { own = s; } });
    return own;
  };
  const sent: string[] = [];
  const codec: ContentCodec = { encode: async (_chatId, content) => { sent.push(content.kind); return { contentType: 'parley/plain+json', payload: '' }; }, decodeBatch: async () => ({ decoded: [], groups: new Map() }) };
  const hold = rightsHold(codec, { userId: 'ben', chat: () => summary, standing, senderOf: (_chatId, id) => log.find(([i]) => i === id)?.[1], waitMs: 30_000, now: () => clock });
  const encode = (content: Content) => hold.encode('chat_general', content, { createdAt: 1_000 });
  await assert.rejects(encode(del('msg_cat01')), CodecWaiting, 'the server granted it, the owner has not signed it yet');
  await encode(text('a plain message is not held'));
  log = [...granted, ['sta_ann02', 'ann', statement([{ userId: 'ben', rights: ['deleteMessages'] }])]];
  await encode(del('msg_cat01'));
  assert.deepEqual(sent, ['text', 'delete']);
  log = granted;
  clock = 31_000;
  await assert.rejects(encode(del('msg_cat01')), (e) => e instanceof CodecFailed && e.code === 'rights_unconfirmed');
  // A community whose owner never signed (before R138): an old grant is the server's word, nothing is awaited.
  log = granted.slice(1);
  clock = 100_000;
  await hold.encode('chat_general', del('msg_cat01'), { createdAt: 100_000 });
  assert.equal(sent.length, 3);
});

test('R159 an admin made just before their device joined the group does not wait for the owner\'s statement it can never read (sent before it joined)', async () => {
  // Ben joined, Ann made him an admin and stated it at once; Ben's device was added to the group after that statement.
  const log: Entry[] = [['mod_srv01', 'ann', rights('ben', [], ['invite'])], ['sta_ann01', 'ann', text('unreadable here')]];
  const summary = chat(['invite']);
  const unreadable = new Set<string>();
  let own: OwnStanding | undefined;
  const standing = () => {
    fold(summary, log, {
      myUserId: 'ben', ownStanding: (st) => { own = st; },
      decoded: (m) => (unreadable.has(m.clientMsgId) ? { kind: 'unreadable', reason: 'before_join' } : m.system ? undefined : { kind: 'content', content: text('x') }),
    });
    return own;
  };
  const sent: string[] = [];
  const codec: ContentCodec = { encode: async (_chatId, content) => { sent.push(content.kind); return { contentType: 'parley/plain+json', payload: '' }; }, decodeBatch: async () => ({ decoded: [], groups: new Map() }) };
  const hold = rightsHold(codec, { userId: 'ben', chat: () => summary, standing, senderOf: () => undefined, waitMs: 30_000, now: () => 1_000 });
  const inviteKey: Content = { kind: 'community_admit', communityId: 'comm_house', inviteKey: 'a2V5' };
  // Readable and not a statement: the owner's statement is still to come, so the link's key waits for it.
  await assert.rejects(hold.encode('chat_general', inviteKey, { createdAt: 1_000 }), CodecWaiting);
  unreadable.add('sta_ann01');
  await hold.encode('chat_general', inviteKey, { createdAt: 1_000 });
  assert.deepEqual(sent, ['community_admit']);
});

test('R159 a held action is judged again when its chat changes, not every second: nothing while nothing arrives, sent once the owner\'s statement is applied, failed at the deadline', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const statement: Content = { kind: 'community_rights', communityId: 'comm_house', owner: 'ann', moderators: [{ userId: 'ben', rights: ['deleteMessages'] }] };
  const granted: Entry[] = [['sta_ann01', 'ann', { kind: 'community_rights', communityId: 'comm_house', owner: 'ann', moderators: [] }], ['msg_cat01', 'cat', text('buy my stuff')], ['mod_srv01', 'ann', rights('ben', [], ['deleteMessages'])]];
  const summary = chat(['deleteMessages']);
  let log = granted;
  let clock = 1_000;
  const standing = (): OwnStanding | undefined => {
    let own: OwnStanding | undefined;
    fold(summary, log, { myUserId: 'ben', ownStanding: (s) => { own = s; } });
    return own;
  };
  const tries: string[] = [];
  const sent: string[] = [];
  let duringTry: (() => void) | undefined;
  const plain: ContentCodec = { encode: async (_chatId, content) => { sent.push(content.kind); return { contentType: 'parley/plain+json', payload: '' }; }, decodeBatch: async () => ({ decoded: [], groups: new Map() }) };
  const hold = rightsHold(plain, { userId: 'ben', chat: () => summary, standing, senderOf: (_chatId, id) => log.find(([i]) => i === id)?.[1], waitMs: 30_000, now: () => clock });
  const outbox: Outbox = new Outbox({
    userId: 'ben', deviceId: 'ben_phone', store: new MemoryStore(), online: () => true,
    codec: {
      encode: async (chatId, content, o) => {
        tries.push(content.kind);
        const judged = await hold.encode(chatId, content, o).then((envelope) => ({ envelope }), (error: unknown) => ({ error }));
        await new Promise((r) => setImmediate(r)); // an encode takes a while: the statement may arrive meanwhile
        duringTry?.();
        duringTry = undefined;
        if ('error' in judged) throw judged.error;
        return judged.envelope;
      },
      decodeBatch: hold.decodeBatch,
    },
    send: async () => ({ type: 'ack', rid: 'r1', seq: log.length + 1, sentAt: clock }) as ServerFrameOf<'ack'>,
    receive: (m) => outbox.acked(m.chatId, new Set([m.clientMsgId])),
    prev: () => undefined, changed: () => undefined, notReady: () => undefined, held: () => undefined, onError: (e) => { throw e; },
  });
  const settle = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };
  const wait = async (ms: number) => { clock += ms; t.mock.timers.tick(ms); await settle(); };

  await outbox.add('chat_general', del('msg_cat01'), { createdAt: clock });
  await settle();
  await wait(20_000);
  assert.deepEqual(tries, ['delete'], 'nothing changed in 20 s: the held deletion was not judged again');
  assert.equal(outbox.items().length, 1, 'still waiting, shown as sending');
  log = [...granted, ['sta_ann02', 'ann', statement]];
  outbox.chatChanged('chat_general');
  await settle();
  assert.deepEqual(sent, ['delete'], 'it went as soon as the owner\'s statement was in the log');
  assert.equal(outbox.items().length, 0);

  // The statement arrives while the action is being judged (no wait registered yet): not missed.
  log = granted;
  await outbox.add('chat_general', del('msg_cat01'), { createdAt: clock });
  await settle();
  await wait(5_000);
  duringTry = () => { log = [...granted, ['sta_ann02', 'ann', statement]]; outbox.chatChanged('chat_general'); };
  outbox.chatChanged(); // any change (every chat's): judged again
  await settle();
  assert.deepEqual(sent, ['delete', 'delete'], 'sent without waiting for the deadline');

  log = granted;
  await outbox.add('chat_general', del('msg_cat01'), { createdAt: clock });
  await settle();
  outbox.chatChanged('chat_general'); // a change that states nothing: judged again, still held
  await settle();
  const before = tries.length;
  await wait(29_000);
  assert.equal(tries.length, before, 'no timer before the deadline');
  assert.equal(outbox.items()[0]?.failedCode, undefined);
  await wait(1_000);
  assert.equal(outbox.items()[0]?.failedCode, 'rights_unconfirmed', 'at the deadline it fails, without anything arriving');
  assert.deepEqual(sent, ['delete', 'delete']);
});

test('R160 in a chat the admin is not in, a mute line counts when the admin stated it in the announcements chat (a ban does not: it is stated there)', () => {
  const sanction = (action: 'banned' | 'muted', userId: string, untilMs?: number) => ({ kind: 'community_sanction' as const, communityId: 'comm_house', action, userId, ...(untilMs ? { untilMs } : {}) });
  const line = (action: 'banned' | 'muted', userId: string, untilMs?: number): SystemEvent => ({ kind: 'moderation', action, userId, ...(untilMs ? { untilMs } : {}) });
  const entries: Entry[] = [
    ['san_ann01', 'ann', sanction('muted', 'dan', 500)], // judging started here
    ['mod_ben01', 'ben', line('muted', 'cat', 900)], // Ben, not in this chat, stated it in announcements
    ['mod_srv01', 'ann', line('muted', 'cat', 999)], // no one stated this one anywhere
    ['mod_srv02', 'ann', line('banned', 'cat')],
  ];
  const judged = (elsewhere: ReturnType<typeof sanction>[]) => fold(chat([]), entries, { sanctionsElsewhere: () => elsewhere }).filter((i) => i.system).map((i) => [i.id, i.unconfirmed ?? false]);
  assert.deepEqual(judged([sanction('muted', 'cat', 900), sanction('banned', 'cat')]), [['mod_ben01', false], ['mod_srv01', true], ['mod_srv02', true]]);
  assert.deepEqual(judged([]), [['mod_ben01', true], ['mod_srv01', true], ['mod_srv02', true]]);
});
