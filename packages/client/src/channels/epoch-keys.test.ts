import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlsIdentity } from '../mls/identity.ts';
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
