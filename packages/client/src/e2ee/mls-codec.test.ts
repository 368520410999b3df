import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from '@parley/protocol';
import { bytesToBase64 } from '../encoding.ts';
import { messageEpoch, MlsGroupSession, sameMember, type MemberIdentity } from '../mls/index.ts';
import { newDevice, utf8, type Device } from '../mls/test-fixtures.ts';
import type { DecodedEnvelope } from '../store.ts';
import { MemoryStore } from '../stores/memory-store.ts';
import { encodeCommitBundle, MLS_APP_CONTENT_TYPE } from './envelopes.ts';
import type { LeafStanding } from './member-trust.ts';
import { MlsCodec } from './mls-codec.ts';

const CHAT = 'chat_revoked_leaf';

/** A key log in which `revoked` was bound, then revoked at `revokedAt`; every other device is current. */
function codecFor(device: Device, revoked: MemberIdentity, revokedAt: number, standing: LeafStanding = 'revoked'): MlsCodec {
  const isRevoked = (m: MemberIdentity) => sameMember(m, revoked);
  return new MlsCodec({
    userId: device.identity.userId, deviceId: device.identity.deviceId, store: new MemoryStore(),
    keys: { identity: async () => device.identity, ownKeyPackages: async () => device.keyPackages, used: async () => undefined },
    session: { authenticate: async (m) => !isRevoked(m) },
    trust: {
      leaf: async (m) => (isRevoked(m) ? standing : 'current'),
      revokedAt: async (userId, deviceId) => (isRevoked({ userId, deviceId }) ? revokedAt : null),
    },
  });
}

let seq = 0;
function message(from: MemberIdentity, sentAt: number, contentType: string, payload: Uint8Array): Message {
  seq += 1;
  return { chatId: CHAT, seq, clientMsgId: `m${seq}`, senderUserId: from.userId, senderDeviceId: from.deviceId, sentAt, envelope: { contentType, payload: bytesToBase64(payload) }, system: null };
}

/** A commit entry as the server orders it (R15): stamped with the epoch it was accepted at, its own. */
function commitMessage(from: MemberIdentity, sentAt: number, bundle: { commit: Uint8Array; welcome?: Uint8Array | undefined }): Message {
  return { ...message(from, sentAt, 'parley/mls-commit', payloadOf(encodeCommitBundle(bundle))), commitEpoch: Number(messageEpoch(bundle.commit)) };
}

async function decode(codec: MlsCodec, messages: Message[]): Promise<(DecodedEnvelope | undefined)[]> {
  return (await codec.decodeBatch(CHAT, messages, () => undefined, async () => undefined)).decoded;
}

/** `owner` made the group and added `other`; both are at the same epoch. */
async function groupOf(owner: Device, other: Device): Promise<[MlsGroupSession, MlsGroupSession]> {
  const a = await MlsGroupSession.create(owner.identity, utf8(CHAT));
  const { commit, welcome } = await a.addMembers([other.keyPackages[0]!.keyPackage]);
  await a.processHandshake(commit);
  const { session: b } = await MlsGroupSession.join(other.identity, welcome, other.keyPackages);
  return [a, b];
}

describe('MlsCodec and a revoked device still in the tree (R22)', () => {
  test('R22 a Welcome whose tree holds a revoked leaf joins; what that device sends after its revocation is not trusted, before it is', async () => {
    const [signer, revoked, joiner] = await Promise.all([newDevice('bob'), newDevice('alice', 'a2'), newDevice('carol')]);
    const [s, r] = await groupOf(signer, revoked);
    const { commit, welcome } = await s.addMembers([joiner.keyPackages[0]!.keyPackage]);
    await s.processHandshake(commit);
    await r.processHandshake(commit);
    const codec = codecFor(joiner, revoked.identity, 2000);
    const [joined] = await decode(codec, [commitMessage(signer.identity, 1000, { commit, welcome })]);
    assert.equal(joined?.kind, 'handshake');
    assert.equal(await codec.status(CHAT), 'ready');
    assert.deepEqual((await codec.members(CHAT)).map((m) => m.deviceId), [signer.identity.deviceId, 'a2', joiner.identity.deviceId]);

    const said = async (text: string) => r.encrypt(utf8(JSON.stringify({ v: 1, content: { kind: 'text', text }, prev: null })));
    const before = message(revoked.identity, 1999, MLS_APP_CONTENT_TYPE, await said('before'));
    const after = message(revoked.identity, 2000, MLS_APP_CONTENT_TYPE, await said('after'));
    const decoded = await decode(codec, [before, after]);
    assert.deepEqual(decoded[0], { kind: 'content', content: { kind: 'text', text: 'before' } });
    assert.deepEqual(decoded[1], { kind: 'unreadable', reason: 'tampered', detail: 'sender_revoked' });
  });

  test('R22 a Welcome signed by a revoked device is refused: it must not bring anyone into a group', async () => {
    const [owner, revoked, joiner] = await Promise.all([newDevice('bob'), newDevice('alice', 'a2'), newDevice('carol')]);
    const [, r] = await groupOf(owner, revoked);
    const { commit, welcome } = await r.addMembers([joiner.keyPackages[0]!.keyPackage]);
    const codec = codecFor(joiner, revoked.identity, 2000);
    const [refused] = await decode(codec, [commitMessage(revoked.identity, 1000, { commit, welcome })]);
    assert.deepEqual(refused, { kind: 'unreadable', reason: 'tampered', detail: 'welcome_signer_revoked' });
    assert.equal(await codec.status(CHAT), 'waiting');
  });

  test('R22 a Welcome whose tree holds a key the log never bound is refused', async () => {
    const [signer, stranger, joiner] = await Promise.all([newDevice('bob'), newDevice('alice', 'a2'), newDevice('carol')]);
    const [s] = await groupOf(signer, stranger);
    const { commit, welcome } = await s.addMembers([joiner.keyPackages[0]!.keyPackage]);
    const codec = codecFor(joiner, stranger.identity, 2000, 'unbound');
    const [refused] = await decode(codec, [commitMessage(signer.identity, 1000, { commit, welcome })]);
    assert.equal(refused?.kind, 'unreadable');
    assert.equal(await codec.status(CHAT), 'waiting');
  });
});

function payloadOf(envelope: { payload: string }): Uint8Array {
  return Uint8Array.from(Buffer.from(envelope.payload, 'base64'));
}

describe('MlsCodec applies only what the server ordered as a commit (R15)', () => {
  test('R15 a validly signed commit in an entry the server did not stamp, or stamped with another epoch, moves no group; stamped, it does', async () => {
    const [owner, member, joiner] = await Promise.all([newDevice('bob'), newDevice('alice', 'a2'), newDevice('carol')]);
    const [o] = await groupOf(owner, member);
    const added = await o.addMembers([joiner.keyPackages[0]!.keyPackage]);
    await o.processHandshake(added.commit);
    const codec = codecFor(joiner, { userId: 'nobody', deviceId: 'none' }, 0, 'current');
    await decode(codec, [commitMessage(owner.identity, 1000, added)]);
    const epoch = await codec.epoch(CHAT);
    const update = await o.update();
    const smuggled = message(owner.identity, 1001, 'parley/mls-commit', payloadOf(encodeCommitBundle(update)));
    const [viaSend, wrongEpoch] = await decode(codec, [smuggled, { ...smuggled, seq: smuggled.seq + 100, commitEpoch: Number(messageEpoch(update.commit)) + 1 }]);
    assert.deepEqual(viaSend, { kind: 'unreadable', reason: 'tampered', detail: 'not_ordered_as_commit' });
    assert.deepEqual(wrongEpoch, { kind: 'unreadable', reason: 'tampered', detail: 'commit_epoch_mismatch' });
    assert.equal(await codec.epoch(CHAT), epoch);
    const [applied] = await decode(codec, [commitMessage(owner.identity, 1002, update)]);
    assert.equal(applied?.kind, 'handshake');
    assert.equal(await codec.epoch(CHAT), epoch! + 1);
  });
});
