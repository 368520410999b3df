import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlsGroupSession } from '../mls/group-session.ts';
import { acceptCommit, addAndJoin, newDevice, utf8 } from '../mls/test-fixtures.ts';
import type { FrameKeySink } from './call-keys.ts';
import { FrameKeys, SFRAME_BASE_KEY_LABEL, type CallEpochKey } from './frame-keys.ts';
import { FanoutSink, LeaveRotation, rotationRank, type Timers } from './group-call-keys.ts';
import { SFrameError } from './sframe.ts';

/** Timers that run only when the test moves the clock. */
class FakeTimers implements Timers {
  time = 0;
  #queue: Array<{ at: number; fn: () => void; id: number }> = [];
  #next = 1;
  set(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#queue.push({ at: this.time + ms, fn, id });
    return id;
  }
  clear(timer: unknown): void {
    this.#queue = this.#queue.filter((t) => t.id !== timer);
  }
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.#queue.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#queue = this.#queue.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }
}

/** One participant's rotation: its publisher id, the others it sees, its epoch, the epochs it asked to leave. */
function participant(self: number, others: number[], timers: FakeTimers, epoch = { now: 5n as bigint | undefined }) {
  const asked: bigint[] = [];
  const rotation = new LeaveRotation({ self, others: () => others, epoch: () => epoch.now, rotate: (e) => asked.push(e), settleMs: 2000, maxSettleMs: 10_000, rankDelayMs: 3000, timers });
  return { rotation, asked, epoch, others };
}

describe('R77 group call key rotation decisions', () => {
  it('R77 the lowest publisher id rotates once the room was quiet for the settle time; the next in line only if the epoch did not move', () => {
    assert.equal(rotationRank(7, [9, 12]), 0);
    assert.equal(rotationRank(12, [7, 9]), 2);
    const timers = new FakeTimers();
    const a = participant(7, [12], timers);
    const b = participant(12, [7], timers);
    a.rotation.left();
    b.rotation.left();
    timers.advance(1999);
    assert.deepEqual([a.asked, b.asked], [[], []], 'nothing before the settle time');
    timers.advance(1);
    assert.deepEqual(a.asked, [5n], 'rank 0 asks to move past epoch 5');
    assert.deepEqual(b.asked, []);
    // The commit lands: both apply it before B's turn; B does nothing.
    a.epoch.now = 6n;
    b.epoch.now = 6n;
    a.rotation.epochMoved();
    b.rotation.epochMoved();
    timers.advance(10_000);
    assert.deepEqual(b.asked, [], 'rank 1 saw the epoch move');
    assert.equal(a.rotation.pending, undefined);
  });

  it('R77 rank delay fallback: when the first in line never commits, the next one asks after one rank delay more', () => {
    const timers = new FakeTimers();
    const b = participant(12, [7, 30], timers);
    const c = participant(30, [7, 12], timers);
    b.rotation.left();
    c.rotation.left();
    timers.advance(2000 + 3000);
    assert.deepEqual(b.asked, [5n], 'rank 1 after settle + one rank delay');
    assert.deepEqual(c.asked, [], 'rank 2 waits one more');
    b.epoch.now = c.epoch.now = 6n;
    c.rotation.epochMoved();
    timers.advance(10_000);
    assert.deepEqual(c.asked, []);
  });

  it('R77 a burst of joins and leaves makes one request; a steady stream is cut off by the longest settle', () => {
    const timers = new FakeTimers();
    const a = participant(1, [2, 3], timers);
    for (let i = 0; i < 6; i++) {
      a.rotation.left();
      timers.advance(500);
      a.rotation.joined();
      timers.advance(500);
    }
    timers.advance(2000);
    assert.deepEqual(a.asked, [5n], 'twelve joins and leaves in 6 s: one request');
    const b = participant(1, [2], timers);
    b.rotation.left();
    for (let i = 0; i < 30; i++) {
      timers.advance(1000);
      b.rotation.joined();
    }
    assert.equal(b.asked.length, 1, 'churn never quiet for 2 s still rotates, at the 10 s cap');
  });

  it('R77 a removal commit that already moved the epoch is enough; joins alone and leaves before any key ask for nothing', () => {
    const timers = new FakeTimers();
    const a = participant(1, [2], timers);
    a.rotation.left(); // the removed member was kicked from the room...
    a.epoch.now = 6n; // ...and its removal commit applied before the settle time
    a.rotation.epochMoved();
    a.rotation.joined();
    timers.advance(20_000);
    assert.deepEqual(a.asked, []);
    const keyless = participant(1, [2], timers, { now: undefined });
    keyless.rotation.left();
    timers.advance(20_000);
    assert.deepEqual(keyless.asked, [], 'no key yet: nothing was sent under one');
    const stopped = participant(1, [2], timers);
    stopped.rotation.left();
    stopped.rotation.stop();
    timers.advance(20_000);
    assert.deepEqual(stopped.asked, [], 'this device left the call itself');
  });
});

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
