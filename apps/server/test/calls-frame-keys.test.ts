import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { FrameKeys, SFrameError, type CallEpochKey, type CallPeer, type CallView, type FrameKeySink, type ParleyClient, type PeerFactory } from '@parley/client';
import { addDevice, createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';

/**
 * R64 through the real server and the SDK: a call's frame keys come from the chat's MLS group (the
 * exporter), both ends get the same epoch key, and it rotates mid-call when the group changes. The
 * peer is a stand-in that connects at once (the browser tests carry real media); the sink is the
 * same FrameKeys the web client's worker runs, so frames are really encrypted and decrypted here.
 */
class InstantPeer implements CallPeer {
  connectionState = 'new';
  onicecandidate: CallPeer['onicecandidate'] = null;
  onconnectionstatechange: (() => void) | null = null;
  async createOffer() { return { type: 'offer', sdp: 'v=0 offer' }; }
  async createAnswer() { return { type: 'answer', sdp: 'v=0 answer' }; }
  async setLocalDescription(): Promise<void> {}
  async setRemoteDescription(d: { type: string }): Promise<void> {
    setTimeout(() => { this.connectionState = 'connected'; this.onconnectionstatechange?.(); }, d.type === 'answer' ? 0 : 50);
  }
  async addIceCandidate(): Promise<void> {}
  close(): void { this.connectionState = 'closed'; }
}

/** A FrameKeys that also keeps every key it was given (to look for them in the server's bytes). */
class RecordingSink implements FrameKeySink {
  readonly frames = new FrameKeys();
  readonly given: CallEpochKey[] = [];
  closed = false;
  setEpoch(key: CallEpochKey): void {
    this.given.push({ ...key, baseKey: key.baseKey.slice() });
    this.frames.setEpoch(key);
  }
  close(): void {
    this.closed = true;
    this.frames.clear();
  }
}

const peers: PeerFactory = () => new InstantPeer();
const running: ParleyClient[] = [];
const track = <T extends { client: ParleyClient }>(u: T): T => { running.push(u.client); return u; };
afterEach(async () => { await Promise.all(running.splice(0).map((c) => c.stop())); });
const tweaks = { client: { calls: { peer: peers }, mls: { enabled: true } } };
const callOf = (u: TestUser, chatId: string): CallView | undefined => u.client.calls.list().filter((c) => c.chatId === chatId).at(-1);
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('R64 call media keys from the chat\'s MLS group', () => {
  it('R64 both ends of a call get the same epoch key from the group; when a device is revoked mid-call the key rotates at once, and the revoked device reads nothing sent after', { timeout: 120_000 }, async () => {
    await using server = await startTestServer();
    const alice = track(await createUser(server.url, { displayName: 'Alice', ...tweaks }));
    const bob = track(await createUser(server.url, { displayName: 'Bob', ...tweaks }));
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => [alice, bob].every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'the chat encrypted', timeoutMs: 30_000 });
    const bobPhone = track(await addDevice(bob, tweaks));
    await waitFor(() => bobPhone.client.chat(chatId)?.encryption === 'on', { what: 'bob\'s phone in the group', timeoutMs: 30_000 });

    // Alice calls; Bob answers on his phone.
    const aliceSink = new RecordingSink();
    const phoneSink = new RecordingSink();
    const started = await alice.client.calls.start(chatId, { media: 'audio', frameCrypto: () => aliceSink });
    await waitFor(() => callOf(bobPhone, chatId)?.state === 'ringing', { what: 'the phone rings', timeoutMs: 20_000 });
    await bobPhone.client.calls.accept(started.callId, { frameCrypto: () => phoneSink });
    await waitFor(() => callOf(alice, chatId)?.state === 'active' && callOf(bobPhone, chatId)?.state === 'active', { what: 'the call connects', timeoutMs: 20_000 });
    await waitFor(() => aliceSink.given.length > 0 && phoneSink.given.length > 0 && aliceSink.given.at(-1)!.epoch === phoneSink.given.at(-1)!.epoch, { what: 'both ends keyed in one epoch', timeoutMs: 20_000 });
    const [a0, p0] = [aliceSink.given.at(-1)!, phoneSink.given.at(-1)!];
    assert.deepEqual(a0.baseKey, p0.baseKey, 'one exporter secret on both devices');
    assert.notEqual(a0.leafIndex, p0.leafIndex);
    assert.equal(callOf(alice, chatId)?.frameEpoch, Number(a0.epoch));
    assert.equal(callOf(bobPhone, chatId)?.frameEpoch, Number(a0.epoch));
    const hello = await aliceSink.frames.encrypt(utf8('hello phone'));
    assert.deepEqual((await phoneSink.frames.decrypt(hello)).plaintext, utf8('hello phone'));
    assert.deepEqual((await aliceSink.frames.decrypt(await phoneSink.frames.encrypt(utf8('hello alice')))).plaintext, utf8('hello alice'));

    // Bob revokes his phone mid-call: its leaf leaves the group in a new epoch, and Alice's sender moves to it.
    await bob.client.revokeDevice(bobPhone.deviceId);
    await waitFor(() => (aliceSink.given.at(-1)?.epoch ?? 0n) > a0.epoch, { what: 'alice\'s call switches to a new epoch key', timeoutMs: 30_000 });
    const a1 = aliceSink.given.at(-1)!;
    assert.notDeepEqual(a1.baseKey, a0.baseKey);
    assert.equal(callOf(alice, chatId)?.frameEpoch, Number(a1.epoch));
    const after = await aliceSink.frames.encrypt(utf8('after the revocation'));
    await assert.rejects(phoneSink.frames.decrypt(after), (e: unknown) => e instanceof SFrameError && e.code === 'unknown_kid');
    assert.equal(phoneSink.given.at(-1)?.epoch, a0.epoch, 'the revoked phone never got the new epoch\'s key');

    // No frame key ever reached the server.
    const bytes = serverBytes(server.dataDir);
    for (const k of [...aliceSink.given, ...phoneSink.given]) assert.equal(leaks(bytes, Buffer.from(k.baseKey)), false, `epoch ${k.epoch} base key`);
    await alice.client.calls.hangUp(started.callId);
    assert.equal(aliceSink.closed, true, 'the call\'s keys are dropped when it ends');
  });

  it('R64 a call that asks for frame encryption on a client without MLS fails instead of going out in the clear', { timeout: 60_000 }, async () => {
    await using server = await startTestServer();
    const { PlaintextCodec } = await import('@parley/client');
    const alice = track(await createUser(server.url, { displayName: 'Alice', codec: new PlaintextCodec(), ...tweaks }));
    const bob = track(await createUser(server.url, { displayName: 'Bob', codec: new PlaintextCodec(), ...tweaks }));
    const { chatId } = await alice.client.openDirect(bob.userId);
    await assert.rejects(alice.client.calls.start(chatId, { frameCrypto: () => new RecordingSink() }), /no end-to-end keys for call media/);
    assert.equal(callOf(alice, chatId)?.endReason, 'failed');
  });
});
