import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatSummary } from '@parley/protocol';
import { bytesToBase64 } from '../encoding.ts';
import { MlsIdentity } from '../mls/identity.ts';
import type { RestFn } from '../session.ts';
import type { StoredMessage } from '../store.ts';
import { AdminKeys } from './admin-keys.ts';
import type { WrappedChannelPost } from './wrapped.ts';
import { foldWrappedEdits } from './wrapped-responses.ts';
import { foldWrappedPins } from './wrapped-pins.ts';
import { drawEpochKey, edToX25519Public, openEpochKey, openPost, sealEpochKey, sealPost } from './epoch-keys.ts';

describe('R141-R142 epoch keys sealed to key-log keys', () => {
  it('a wrap opens only on its device, for its channel and epoch; a post only under its epoch key, channel and epoch', async () => {
    const [me, other] = await Promise.all([MlsIdentity.generate({ userId: 'user_me01', deviceId: 'dev_me001' }), MlsIdentity.generate({ userId: 'user_ot01', deviceId: 'dev_ot001' })]);
    const c = { communityId: 'comm_0001', epoch: 3, userId: me.userId, deviceId: me.deviceId };
    const key = drawEpochKey();
    const wrap = await sealEpochKey(key, me.signaturePublicKey, c);
    assert.equal(wrap.length, 76);
    // The Montgomery form of the Ed25519 public key matches the X25519 key of the converted private key (else nothing opens).
    assert.deepEqual(await openEpochKey(wrap, me.signaturePrivateKey, me.signaturePublicKey, c), key);
    assert.equal(edToX25519Public(me.signaturePublicKey).length, 32);
    await assert.rejects(openEpochKey(wrap, other.signaturePrivateKey, other.signaturePublicKey, { ...c, userId: other.userId, deviceId: other.deviceId }), 'another device');
    for (const moved of [{ epoch: 4 }, { communityId: 'comm_0002' }, { deviceId: 'dev_me002' }]) {
      await assert.rejects(openEpochKey(wrap, me.signaturePrivateKey, me.signaturePublicKey, { ...c, ...moved }), JSON.stringify(moved));
    }
    const body = await sealPost(key, 'comm_0001', 3, new TextEncoder().encode('hello'));
    assert.equal(new TextDecoder().decode(await openPost(key, 'comm_0001', 3, body)), 'hello');
    await assert.rejects(openPost(key, 'comm_0001', 2, body));
    await assert.rejects(openPost(drawEpochKey(), 'comm_0001', 3, body));
  });
});

describe('R170 epoch keys read from the admins\' group', () => {
  it('takes a key only from a holder of postAnnouncements: a subscriber\'s earlier key message (sent as a response) is ignored', async () => {
    const member = (userId: string, role: 'owner' | 'member') => ({ userId, handle: userId, displayName: userId, role, deliveredSeq: 0, readSeq: 0 });
    const chat: ChatSummary = {
      chatId: 'chat_annc', kind: 'group', name: '', color: '#336699', lastSeq: 2, unread: 0, createdAt: 0, mlsEpoch: 1,
      members: [member('ann', 'owner'), member('cat', 'member')],
      community: { communityId: 'comm_0001', kind: 'announcements', mayPost: true, moderators: [{ userId: 'ann', rights: ['postAnnouncements', 'deleteMessages', 'ban', 'invite', 'manageChats', 'pin'] }] },
    };
    const [forged, real] = [drawEpochKey(), drawEpochKey()];
    const keyMessage = (seq: number, sender: string, key: Uint8Array): StoredMessage => ({
      chatId: 'chat_annc', seq, clientMsgId: `m${seq}`, senderUserId: sender, senderDeviceId: `${sender}_phone`, sentAt: seq, system: null,
      envelope: { contentType: 'parley/mls-app', payload: '' },
      decoded: { kind: 'content', content: { kind: 'channel_epoch_key', communityId: 'comm_0001', epoch: 2, key: bytesToBase64(key) } },
    });
    const log = [keyMessage(1, 'cat', forged), keyMessage(2, 'ann', real)];
    const admins = new AdminKeys({
      rest: (async () => ({ community: { announcementsChatId: 'chat_annc' } })) as unknown as RestFn,
      log: () => log, chat: () => chat, post: async () => 'x',
    });
    assert.deepEqual(await admins.find('comm_0001', 2), real);
    assert.equal(await admins.find('comm_0001', 3), undefined);
  });
});

describe('R178 a wrapped post\'s edits count only from its author', () => {
  it('an edit signed by another admin changes nothing and is not shown; the author\'s own, from any of their devices, does', () => {
    const post = (seq: number, authorId: string, text: string, edits?: number, authorDevice = `${authorId}_phone`): WrappedChannelPost => ({
      seq, epoch: 1, verified: true, text, date: seq, authorId, authorDevice, ...(edits !== undefined ? { edits } : {}),
    });
    const shown = foldWrappedEdits([post(1, 'ann', 'Ferry at 7:40'), post(2, 'ben', 'Ferry cancelled (Ben)', 1), post(3, 'ann', 'Ferry at 9:10')]);
    assert.deepEqual(shown.map((p) => p.verified && [p.seq, p.text, p.edited]), [[1, 'Ferry at 7:40', undefined], [3, 'Ferry at 9:10', undefined]]);
    const own = foldWrappedEdits([post(1, 'ann', 'Ferry at 7:40'), post(2, 'ann', 'Ferry at 7:45', 1, 'ann_laptop'), post(3, 'ben', 'Ferry at 7:50 (Ben)', 1)]);
    assert.deepEqual(own.map((p) => p.verified && [p.seq, p.text, p.edited]), [[1, 'Ferry at 7:45', 2]]);
  });
});

describe('R184 pins of a wrapped channel go by the signed entries', () => {
  type Verified = Extract<WrappedChannelPost, { verified: true }>;
  const post = (seq: number, authorId: string, text: string): Verified => ({ seq, epoch: 1, verified: true, text, date: seq, authorId, authorDevice: `${authorId}_phone` });
  const pin = (seq: number, authorId: string, target: number, on = true): Verified => ({ ...post(seq, authorId, ''), pin: { seq: target, on } });
  const pinned = (entries: WrappedChannelPost[], mayPin?: (userId: string) => boolean) => foldWrappedPins(entries, mayPin ? { mayPin } : {}).map((p) => [p.seq, p.by]);

  it('several pins, the latest pinned first; an unpin takes one off; pinning again makes it the latest; pin entries are not shown as posts', () => {
    const log = [post(1, 'ann', 'Timetable'), post(2, 'ann', 'Fares'), pin(3, 'ann', 1), pin(4, 'ben', 2), pin(5, 'ann', 1)];
    assert.deepEqual(pinned(log), [[1, 'ann'], [2, 'ben']]);
    assert.deepEqual(pinned([...log, pin(6, 'ann', 1, false)]), [[2, 'ben']]);
    assert.deepEqual(foldWrappedEdits(log).map((p) => p.seq), [1, 2]);
  });

  it('a pin signed by someone who may not pin, an entry that failed its checks, a pin of a deleted or unreadable post, of a pin or of a later entry count for nothing', () => {
    const admins = new Set(['ann']);
    const forged: WrappedChannelPost = { seq: 4, epoch: 1, verified: false, problem: 'bad signature' }; // what the server's own "pin" entry opens as
    const unreadable: WrappedChannelPost = { seq: 5, epoch: 1, verified: false, problem: 'this device holds no key of its epoch' };
    const log = [post(1, 'ann', 'Timetable'), post(2, 'ann', 'Fares'), pin(3, 'cat', 2), forged, unreadable, pin(6, 'ann', 5), pin(7, 'ann', 3), pin(8, 'ann', 9), pin(9, 'ann', 1)];
    assert.deepEqual(pinned(log, (u) => admins.has(u)), [[1, 'ann']]);
    // Without a list of admins the server's check stands (as for posts): Cat's pin counts.
    assert.deepEqual(pinned(log), [[1, 'ann'], [2, 'cat']]);
    // Post 1 deleted (the server serves it as deleted: the reader holds no such post): unpinned.
    assert.deepEqual(pinned(log.filter((p) => p.seq !== 1), (u) => admins.has(u)), []);
  });
});
