import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { PeerRestart, TrickleGate } from './group-call-restart.ts';

/** A PeerRestart on node:test's fake timers; `outcomes` says how each restart ends (true: Janus answered). */
function setup(outcomes: boolean[], replacing?: (now: number) => number) {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let restarts = 0;
  let lost = false;
  const r = new PeerRestart({
    restart: async () => {
      const ok = outcomes[restarts++] ?? true;
      if (!ok) throw new Error('the call server did not answer configure');
    },
    lost: () => { lost = true; }, changed: () => undefined, limitMs: 30_000, retryMs: 5_000, now: () => Date.now(),
    replacing: replacing?.(Date.now()),
  });
  return { r, restarts: () => restarts, lost: () => lost, [Symbol.dispose]: () => { r.stop(); mock.timers.reset(); } };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('R119 group call peer restarts', () => {
  it('R119 nothing is restarted before the peer first connected; a lost path restarts at once and says since when', async () => {
    using s = setup([]);
    s.r.peerState('disconnected');
    s.r.peerState('failed');
    assert.equal(s.restarts(), 0, 'not connected yet: the join itself fails or succeeds');
    s.r.peerState('connected');
    s.r.peerState('disconnected');
    await settle();
    assert.equal(s.restarts(), 1);
    assert.ok(s.r.since !== undefined);
    s.r.peerState('connected');
    assert.equal(s.r.since, undefined);
  });

  it('R119 a restart Janus never answered is made again even when ICE came back on its own', async () => {
    using s = setup([false, true]);
    s.r.peerState('connected');
    s.r.peerState('disconnected');
    await settle();
    assert.equal(s.restarts(), 1);
    s.r.peerState('connected'); // the old path came back (continual gathering) while the offer waits for its answer
    mock.timers.tick(5_000);
    await settle();
    assert.equal(s.restarts(), 2, 'the owed restart');
    mock.timers.tick(20_000);
    await settle();
    assert.equal(s.restarts(), 2, 'answered: nothing more');
  });

  it('R119 owed restarts back off: 5 s, 10 s, 20 s after failures in a row, and the pace resets once Janus answers', async () => {
    using s = setup([false, false, false, true]);
    s.r.peerState('connected');
    s.r.peerState('disconnected');
    await settle();
    s.r.peerState('connected'); // ICE came back on its own: only the owed restarts run from here
    const at = (ms: number) => { mock.timers.tick(ms); return settle(); };
    await at(4_999);
    assert.equal(s.restarts(), 1);
    await at(1);
    assert.equal(s.restarts(), 2, 'the first owed restart after 5 s');
    await at(9_999);
    assert.equal(s.restarts(), 2, 'the second waits twice as long');
    await at(1);
    assert.equal(s.restarts(), 3);
    await at(19_999);
    assert.equal(s.restarts(), 3, 'the third, four times as long');
    await at(1);
    assert.equal(s.restarts(), 4, 'answered');
    await at(60_000);
    assert.equal(s.restarts(), 4, 'nothing more once Janus took it');
  });

  it('R119 a peer without a path for the limit ends the call', async () => {
    using s = setup([false, false, false, false, false, false, false, false]);
    s.r.peerState('connected');
    s.r.peerState('failed');
    for (let i = 0; i < 6; i++) {
      mock.timers.tick(5_000);
      await settle();
    }
    assert.equal(s.lost(), true);
    assert.ok(s.restarts() >= 3, 'tried again meanwhile');
  });

  it('R136 a publisher peer published afresh that never connects is lost when the limit runs out, counted from the old peer\'s loss', async () => {
    using s = setup([], (now) => now - 10_000); // the old peer lost its path 10 s ago
    assert.ok(s.r.since !== undefined, 'reconnecting from the start');
    s.r.peerState('new');
    s.r.peerState('connecting');
    mock.timers.tick(19_999);
    assert.equal(s.lost(), false);
    mock.timers.tick(1);
    assert.equal(s.lost(), true, '30 s after the old peer lost its path');
    assert.equal(s.restarts(), 0, 'the fresh peer is not restarted while it connects');
  });

  it('R136 a publisher peer published afresh that connects in time keeps the call', () => {
    using s = setup([], (now) => now - 10_000);
    s.r.peerState('connecting');
    s.r.peerState('connected');
    assert.equal(s.r.since, undefined);
    mock.timers.tick(60_000);
    assert.equal(s.lost(), false);
  });

  it('R119 candidates wait while a restart\'s description is on its way, in order', () => {
    const sent: Array<string | null> = [];
    const gate = new TrickleGate((c) => sent.push(c?.candidate ?? null));
    gate.push({ candidate: 'a', sdpMid: '0', sdpMLineIndex: 0 });
    gate.hold();
    gate.push({ candidate: 'b', sdpMid: '0', sdpMLineIndex: 0 });
    gate.push(null);
    assert.deepEqual(sent, ['a']);
    gate.release();
    assert.deepEqual(sent, ['a', 'b', null]);
  });
});
