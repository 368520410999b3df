import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatSummary, Content, Message, SystemEvent } from '@parley/protocol';
import type { DecodedEnvelope } from '../store.ts';
import { foldTimeline } from '../timeline.ts';
import { admissionVerifies, inviteToken, newInviteKey, parseInviteToken, signAdmission } from './admissions.ts';

const member = (userId: string, role: 'owner' | 'admin' | 'member' = 'member') => ({ userId, handle: userId, displayName: userId, role, deliveredSeq: 0, readSeq: 0 });
const ALL = ['postAnnouncements', 'deleteMessages', 'ban', 'invite', 'manageChats', 'pin'] as const;

/** A community chat seen by cat's device: ann owns the community, ben holds `manageChats` only. */
function chat(kind: 'announcements' | 'general', members: string[]): ChatSummary {
  return {
    chatId: `chat_${kind}`, kind: 'group', name: '', color: '#336699', lastSeq: 0, unread: 0, createdAt: 0, mlsEpoch: 1,
    members: members.map((u) => member(u, u === 'ann' ? 'owner' : 'member')),
    community: { communityId: 'comm_house', kind, mayPost: true, moderators: [{ userId: 'ann', rights: [...ALL] }, { userId: 'ben', rights: ['manageChats'] }] },
  };
}

type Entry = [sender: string, what: Content | SystemEvent | { kind?: undefined; joined: string[] } | { kind: 'unreadable'; reason: 'before_join' }, admitted?: true];
const admit = (word: Partial<Extract<Content, { kind: 'community_admit' }>>): Content => ({ kind: 'community_admit', communityId: 'comm_house', ...word });

function fold(summary: ChatSummary, entries: Entry[], firstSeq = 1, admittedInCommunity?: (u: string) => boolean | undefined) {
  const decoded = new Map<number, DecodedEnvelope>();
  const messages = entries.map(([sender, what, admitted], i): Message => {
    const seq = firstSeq + i;
    const system = what.kind?.startsWith('member_') ? what as SystemEvent : null;
    if (what.kind === 'unreadable') decoded.set(seq, what as DecodedEnvelope);
    else if ('joined' in what) decoded.set(seq, { kind: 'handshake', epoch: seq, added: what.joined.map((u) => `${u}:${u}_phone`), removed: [], joined: what.joined });
    else if (!system) decoded.set(seq, { kind: 'content', content: what as Content, ...(admitted ? { admitted } : {}) });
    return { chatId: summary.chatId, seq, clientMsgId: `msg_${seq}_entry`, senderUserId: sender, senderDeviceId: `${sender}_phone`, sentAt: seq, system, envelope: system ? null : { contentType: 'parley/mls-app', payload: '' } };
  });
  let notAdmitted: string[] = [];
  let awaiting = false;
  const items = foldTimeline({
    chat: summary, myUserId: 'cat', messages, outbox: [], decodedOutbox: () => undefined, decoded: (m) => decoded.get(m.seq),
    admissionDisputes: (u) => (notAdmitted = u), admissionAwaited: (a) => (awaiting = a), ...(admittedInCommunity ? { admittedInCommunity } : {}),
  });
  return { notAdmitted, awaiting, lines: items.filter((i) => i.notice === 'member_not_admitted').map((i) => [i.notAdmitted, i.seq]) };
}

const proof = { inviteKey: 'KEY_one', keySeq: 2, signature: 'sig' };

test('R152 in announcements: a join by a link key an admin stated, or one an admin admitted, counts; one the server made alone is refused where it entered', () => {
  const { notAdmitted, lines } = fold(chat('announcements', ['ann', 'cat', 'dan', 'eve', 'max']), [
    ['ann', admit({ userIds: [] })],
    ['ann', admit({ inviteKey: 'KEY_one' })],
    ['dan', { kind: 'member_joined', userId: 'dan' }],
    ['cat', { joined: ['dan'] }],
    ['dan', admit({ proof }), true],
    ['eve', { kind: 'member_added', userId: 'eve' }],
    ['ann', admit({ userIds: ['eve'] })],
    ['max', { kind: 'member_joined', userId: 'max' }],
    ['cat', { joined: ['max'] }],
  ]);
  assert.deepEqual(notAdmitted, ['max']);
  assert.deepEqual(lines, [['max', 9]], 'said where the server\'s commit brought him in, the last entry');
});

test('R152 a proof counts only with a signature the codec checked, with a key an admin stated, and from the one it names; an admin statement only from a holder of invite', () => {
  const { notAdmitted } = fold(chat('announcements', ['ann', 'cat', 'dan', 'eve', 'max', 'zed']), [
    ['ann', admit({ userIds: [] })],
    ['ann', admit({ inviteKey: 'KEY_one' })],
    ['ben', admit({ inviteKey: 'KEY_ben' })], // manageChats is not invite
    ['dan', { joined: ['dan', 'eve', 'max', 'zed'] }],
    ['dan', admit({ proof: { ...proof, signature: 'forged' } })], // the codec found it unsigned
    ['eve', admit({ proof: { ...proof, inviteKey: 'KEY_ben' } }), true],
    ['ben', admit({ userIds: ['max'] })],
    ['zed', admit({ proof: { ...proof, inviteKey: 'KEY_made_up', keySeq: 3 } }), true], // inside this log, and not there
  ]);
  assert.deepEqual(notAdmitted, ['dan', 'eve', 'max', 'zed']);
});

test('R152 judged from the first admin statement and only inside this device\'s log; a key stated before the log is taken on trust; leaving ends a refusal', () => {
  // A community from before R152: joins before its first statement are the server's word.
  assert.deepEqual(fold(chat('announcements', ['ann', 'cat', 'dan']), [['dan', { kind: 'member_joined', userId: 'dan' }], ['ann', admit({ userIds: [] })]]).notAdmitted, []);
  // This device reads from 50 on: a key stated at 10 is taken on trust.
  const early = fold(chat('announcements', ['ann', 'cat', 'dan']), [['ann', admit({ inviteKey: 'KEY_two' })], ['dan', { kind: 'member_joined', userId: 'dan' }], ['dan', admit({ proof: { ...proof, keySeq: 10 } }), true]], 50);
  assert.deepEqual(early.notAdmitted, []);
  // A log holds entries from before this device joined, unreadable: who joined then is not judged here.
  const newcomer = fold(chat('announcements', ['ann', 'cat', 'dan']), [['ann', { kind: 'unreadable', reason: 'before_join' }], ['dan', { kind: 'member_joined', userId: 'dan' }], ['cat', { kind: 'member_joined', userId: 'cat' }]]);
  assert.deepEqual(newcomer.notAdmitted, []);
  // R114: an admin said anyone may join (a public channel's discussion); a non-admin can't.
  assert.deepEqual(fold(chat('announcements', ['ann', 'cat', 'max']), [['ann', admit({ open: true })], ['max', { kind: 'member_joined', userId: 'max' }]]).notAdmitted, []);
  assert.deepEqual(fold(chat('announcements', ['ann', 'cat', 'max']), [['ben', admit({ open: true })], ['max', { kind: 'member_joined', userId: 'max' }]]).notAdmitted, ['max']);
  const gone = fold(chat('announcements', ['ann', 'cat']), [['ann', admit({ userIds: [] })], ['max', { kind: 'member_joined', userId: 'max' }], ['ann', { kind: 'member_removed', userId: 'max' }]]);
  assert.deepEqual(gone.notAdmitted, []);
});

test('R154 a discussion\'s joiner names where an admin stated `open`: a device that joined later takes it when it can\'t read there, and refuses a position it read without one', () => {
  // Cat joined at 50, after Ann's `open` at 10: Max and Zed join the public channel's discussion.
  const { notAdmitted, lines } = fold(chat('announcements', ['ann', 'cat', 'max', 'zed']), [
    ['cat', admit({ userIds: [] })],
    ['max', { kind: 'member_joined', userId: 'max' }],
    ['max', admit({ openSeq: 10 })],
    ['zed', { kind: 'member_joined', userId: 'zed' }],
    ['zed', admit({ openSeq: 50 })], // a position Cat read: no `open` there
  ], 50);
  assert.deepEqual(notAdmitted, ['zed']);
  assert.deepEqual(lines, [['zed', 53]]);
});

test('R155 a member waits for an admin until one admits them, unless their own device proved a link, a discussion or an approval', () => {
  const anns = (entries: Entry[]) => fold(chat('announcements', ['ann', 'cat']), entries, 50).awaiting;
  const bare: Entry = ['cat', admit({})]; // Cat's device joined with nothing to show (a link without its key)
  assert.equal(anns([bare, ['ann', { kind: 'text', text: 'Welcome' }]]), true);
  assert.equal(anns([bare, ['ann', admit({ userIds: ['cat'] })]]), false, 'Ann admitted her');
  assert.equal(anns([bare, ['ben', admit({ userIds: ['cat'] })]]), true, 'not by one without invite');
  for (const own of [{ proof }, { openSeq: 10 }, { userIds: [] }]) assert.equal(anns([bare, ['cat', admit(own)]]), false, JSON.stringify(own));
  assert.equal(anns([['ann', { kind: 'text', text: 'Welcome' }]]), false, 'another device of Cat\'s, linked after her join: nothing to say');
});

test('R152 in another community chat a member counts when the announcements chat admits them, or a holder of invite or manageChats admits them there', () => {
  const community = (u: string) => (u === 'dan' ? true : u === 'max' ? false : undefined);
  const { notAdmitted } = fold(chat('general', ['ann', 'cat', 'dan', 'max', 'eve', 'zed']), [
    ['ann', { kind: 'text', text: 'Welcome' }],
    ['dan', { kind: 'member_joined', userId: 'dan' }],
    ['max', { kind: 'member_joined', userId: 'max' }],
    ['eve', { kind: 'member_joined', userId: 'eve' }], // unknown to this device's announcements chat: not judged
    ['cat', { joined: ['zed'] }],
  ], 1, (u) => (u === 'zed' ? false : community(u)));
  assert.deepEqual(notAdmitted, ['max', 'zed']);
  const byManager = fold(chat('general', ['ann', 'cat', 'max']), [['ann', { kind: 'text', text: 'Welcome' }], ['max', { kind: 'member_added', userId: 'max' }], ['ben', admit({ userIds: ['max'] })]], 1, () => false);
  assert.deepEqual(byManager.notAdmitted, []);
});

test('R152 an invite link\'s key: the token carries it past the server\'s part, and its signature binds the community and the joiner', async () => {
  const key = await newInviteKey();
  const token = inviteToken('tok_server_1', { seed: key.seed, keySeq: 7 });
  assert.deepEqual(parseInviteToken(token), { serverToken: 'tok_server_1', key: { seed: key.seed, keySeq: 7 } });
  assert.deepEqual(parseInviteToken('tok_server_1'), { serverToken: 'tok_server_1' });
  const signed = await signAdmission(key.seed, 7, 'comm_house', 'dan');
  assert.equal(signed.inviteKey, key.publicKey);
  assert.equal(await admissionVerifies(signed, 'comm_house', 'dan'), true);
  assert.equal(await admissionVerifies(signed, 'comm_house', 'max'), false, 'another sender can\'t use it');
  assert.equal(await admissionVerifies(signed, 'comm_other', 'dan'), false, 'nor another community');
  assert.equal(await admissionVerifies({ ...signed, signature: 'AAAA' }, 'comm_house', 'dan'), false);
});
