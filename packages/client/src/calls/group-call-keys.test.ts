import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlsGroupSession } from '../mls/group-session.ts';
import { acceptCommit, addAndJoin, newDevice, utf8 } from '../mls/test-fixtures.ts';
import type { FrameKeySink } from './call-keys.ts';
import { FrameKeys, SFRAME_BASE_KEY_LABEL, type CallEpochKey } from './frame-keys.ts';
import { FanoutSink } from './group-call-keys.ts';
import { SFrameError } from './sframe.ts';

class Recording implements FrameKeySink {
  readonly keys: CallEpochKey[] = [];
  closed = false;
  setEpoch(key: CallEpochKey): void { this.keys.push(key); }
  close(): void { this.closed = true; }
}

describe('R76 group call frame keys', () => {
  it('R76 every peer\'s sink gets the epoch key, one added later gets the newest at once, each its own copy; closing closes them all', () => {
    const fan = new FanoutSink();
    const pub = new Recording();
    fan.add(pub);
    const key: CallEpochKey = { epoch: 3n, leafIndex: 1, leafCount: 3, baseKey: new Uint8Array(16).fill(7) };
    fan.setEpoch(key);
    key.baseKey.fill(0); // the feed zeroes its copy
    const sub = new Recording();
    fan.add(sub);
    assert.deepEqual([pub.keys[0]!.baseKey, sub.keys[0]!.baseKey], [new Uint8Array(16).fill(7), new Uint8Array(16).fill(7)]);
    assert.notEqual(pub.keys[0]!.baseKey, sub.keys[0]!.baseKey);
    fan.close();
    assert.deepEqual([pub.closed, sub.closed], [true, true]);
    const late = new Recording();
    fan.add(late);
    assert.equal(late.closed, true, 'a sink for a call already over is closed at once');
  });

  it('R77 after the leaver\'s epoch is rotated by an update commit, the others read each other in the new epoch and the leaver\'s old key reads nothing of it', async () => {
    const alice = await MlsGroupSession.create((await newDevice('alice')).identity, utf8('chat-1'));
    const [bob, carol] = await addAndJoin(alice, [], [await newDevice('bob'), await newDevice('carol')]);
    const key = async (s: MlsGroupSession): Promise<CallEpochKey> => ({ epoch: s.epoch, leafIndex: s.ownLeafIndex, leafCount: s.leafCount, baseKey: await s.exportSecret(SFRAME_BASE_KEY_LABEL, new Uint8Array(0), 16) });
    const frames = async (s: MlsGroupSession) => {
      const f = new FrameKeys();
      f.setEpoch(await key(s));
      return f;
    };
    const [a, b, c] = [await frames(alice), await frames(bob!), await frames(carol!)];
    const before = await a.encrypt(utf8('before'));
    assert.deepEqual((await c.decrypt(before)).plaintext, utf8('before'), 'carol in the call reads alice');
    // Carol leaves the call (not the chat); Alice, lowest in line, commits a key update; Bob applies it. Carol's device keeps its old key.
    const { commit } = await alice.update();
    await acceptCommit(alice, commit, [bob!]);
    a.setEpoch(await key(alice));
    b.setEpoch(await key(bob!));
    assert.equal(a.epoch, c.epoch! + 1n);
    const after = await a.encrypt(utf8('after'));
    assert.deepEqual((await b.decrypt(after)).plaintext, utf8('after'));
    await assert.rejects(c.decrypt(after), (e: unknown) => e instanceof SFrameError && e.code === 'unknown_kid');
    assert.deepEqual((await a.decrypt(await b.encrypt(utf8('bob after')))).plaintext, utf8('bob after'));
  });
});
