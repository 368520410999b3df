import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MlsGroupSession } from './group-session.ts';
import type { MlsSessionOptions } from './session-options.ts';
import { acceptCommit, addAndJoin, flipBit, newDevice, rejectsWith, text, utf8 } from './test-fixtures.ts';

async function pair(options: MlsSessionOptions = {}, groupId = 'chat'): Promise<[MlsGroupSession, MlsGroupSession]> {
  const [alice, bob] = await Promise.all([newDevice('alice'), newDevice('bob')]);
  const a = await MlsGroupSession.create(alice.identity, utf8(groupId), options);
  const [b] = await addAndJoin(a, [], [bob], options);
  assert.ok(b);
  return [a, b];
}

describe('tampered, replayed and stale messages never yield plaintext', () => {
  test('a flipped bit anywhere in the AEAD ciphertext → mls_decrypt_failed; the original still decrypts', async () => {
    const [a, b] = await pair();
    const ct = await a.encrypt(utf8('pay 10 EUR'));
    for (const i of [-1, -17, -40]) await rejectsWith(b.decrypt(flipBit(ct, i)), 'mls_decrypt_failed');
    assert.equal(text((await b.decrypt(ct)).plaintext), 'pay 10 EUR');
  });

  test('a flipped bit in the header (group id, epoch, sender data) is refused with a typed error', async () => {
    const [a, b] = await pair();
    const ct = await a.encrypt(utf8('hello'));
    // MLSMessage: version(2) wire_format(2) group_id<V>(1+4 "chat") epoch(8) content_type(1) ...
    await rejectsWith(b.decrypt(flipBit(ct, 6)), 'mls_wrong_group');
    await rejectsWith(b.decrypt(flipBit(ct, 16)), 'mls_wrong_epoch');
    await rejectsWith(b.decrypt(flipBit(ct, 20)), 'mls_decrypt_failed'); // inside encrypted_sender_data
    assert.equal(text((await b.decrypt(ct)).plaintext), 'hello');
  });

  test('a replayed ciphertext → mls_replayed', async () => {
    const [a, b] = await pair();
    const ct = await a.encrypt(utf8('once'));
    assert.equal(text((await b.decrypt(ct)).plaintext), 'once');
    await rejectsWith(b.decrypt(ct), 'mls_replayed');
    // and the session keeps working afterwards
    assert.equal(text((await b.decrypt(await a.encrypt(utf8('twice')))).plaintext), 'twice');
  });

  test('out-of-order delivery within an epoch is fine; each message still decrypts once', async () => {
    const [a, b] = await pair();
    const first = await a.encrypt(utf8('1'));
    const second = await a.encrypt(utf8('2'));
    assert.equal(text((await b.decrypt(second)).plaintext), '2');
    assert.equal(text((await b.decrypt(first)).plaintext), '1');
    await rejectsWith(b.decrypt(first), 'mls_replayed');
  });

  test('with retainedEpochs 0, an application message from the previous epoch → mls_wrong_epoch', async () => {
    const [a, b] = await pair({ retainedEpochs: 0 });
    const old = await a.encrypt(utf8('sent in epoch 1'));
    const { commit } = await a.update();
    await acceptCommit(a, commit, [b]);
    await rejectsWith(b.decrypt(old), 'mls_wrong_epoch');
  });

  test('default retention: one epoch late is accepted, two epochs late → mls_wrong_epoch', async () => {
    const [a, b] = await pair();
    const e1 = await a.encrypt(utf8('epoch 1'));
    const e1b = await a.encrypt(utf8('epoch 1 again'));
    let { commit } = await a.update();
    await acceptCommit(a, commit, [b]);
    assert.equal(text((await b.decrypt(e1)).plaintext), 'epoch 1');
    await rejectsWith(b.decrypt(e1), 'mls_replayed');
    ({ commit } = await a.update());
    await acceptCommit(a, commit, [b]);
    await rejectsWith(b.decrypt(e1b), 'mls_wrong_epoch');
  });

  test('a message from a future epoch → mls_wrong_epoch', async () => {
    const [a, b] = await pair();
    const { commit } = await a.update();
    a.mergePendingCommit(); // bob has not seen the commit yet
    await rejectsWith(b.decrypt(await a.encrypt(utf8('too early'))), 'mls_wrong_epoch');
    await b.processHandshake(commit);
  });

  test('a message for another group → mls_wrong_group', async () => {
    const [a] = await pair();
    const [, other] = await pair({}, 'chas'); // same length, one bit apart
    await rejectsWith(other.decrypt(await a.encrypt(utf8('wrong chat'))), 'mls_wrong_group');
  });

  test('wrong kinds and garbage: typed errors, state untouched', async () => {
    const [a, b] = await pair();
    const { commit } = await a.update();
    await rejectsWith(b.decrypt(commit), 'mls_unexpected_message');
    await rejectsWith(b.processHandshake(await a.encrypt(utf8('app'))), 'mls_unexpected_message');
    await rejectsWith(b.decrypt(utf8('definitely not MLS')), 'mls_malformed');
    await rejectsWith(b.decrypt(new Uint8Array()), 'mls_malformed');
    await rejectsWith(b.processHandshake(a.serialize()), 'mls_malformed');
    assert.equal(b.epoch, 1n);
  });

  test('a tampered commit is refused and does not move the epoch', async () => {
    const [a, b] = await pair();
    const { commit } = await a.update();
    // Commits are PublicMessages (R35): a flipped bit in the membership tag fails its check.
    await rejectsWith(b.processHandshake(flipBit(commit, -3)), 'mls_tampered');
    assert.equal(b.epoch, 1n);
    await acceptCommit(a, commit, [b]);
    assert.equal(b.epoch, 2n);
    await rejectsWith(b.processHandshake(commit), 'mls_wrong_epoch'); // replayed commit
  });
});
