import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { CallReconnect } from './reconnect.ts';

/** A CallReconnect on node:test's fake timers, recording the restarts it asks for and whether it gave up. */
function setup(caller: boolean) {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const restarts: number[] = [];
  let lost = false;
  const r = new CallReconnect({
    caller, restart: async (g) => { restarts.push(g); }, lost: () => { lost = true; }, changed: () => undefined,
    limitMs: 30_000, retryMs: 5_000, now: () => Date.now(),
  });
  return { r, restarts, lost: () => lost, [Symbol.dispose]: () => { r.stop(); mock.timers.reset(); } };
}

describe('R102 reconnect decisions', () => {
  it('R102 the caller restarts at once, again when the peer fails again, and on a timer only once the last restart was answered', () => {
    using s = setup(true);
    s.r.peerState('disconnected');
    assert.deepEqual(s.restarts, [1]);
    assert.ok(s.r.since !== undefined);
    mock.timers.tick(5_000);
    assert.deepEqual(s.restarts, [1], 'unanswered: not repeated on a timer');
    s.r.peerState('failed');
    assert.deepEqual(s.restarts, [1, 2], 'failed again: a fresh restart');
    assert.equal(s.r.answered(1), false, 'an answer to an older restart does not count');
    assert.equal(s.r.answered(2), true);
    assert.equal(s.r.answered(2), false, 'nor twice');
    mock.timers.tick(5_000);
    assert.deepEqual(s.restarts, [1, 2, 3], 'answered and still no path: another one');
    s.r.peerState('connected');
    assert.equal(s.r.since, undefined);
    mock.timers.tick(60_000);
    assert.deepEqual(s.restarts, [1, 2, 3]);
    assert.equal(s.lost(), false);
  });

  it('R102 timer restarts back off: each waits twice as long as the one before (a slow path\'s candidates are not made stale), and a connection resets the pace', () => {
    using s = setup(true);
    s.r.peerState('disconnected');
    assert.equal(s.r.answered(1), true);
    mock.timers.tick(5_000);
    assert.deepEqual(s.restarts, [1, 2]);
    assert.equal(s.r.answered(2), true);
    mock.timers.tick(5_000);
    assert.deepEqual(s.restarts, [1, 2], 'not again after 5 s');
    mock.timers.tick(5_000);
    assert.deepEqual(s.restarts, [1, 2, 3], 'after 10 s');
    assert.equal(s.r.answered(3), true);
    mock.timers.tick(19_999);
    assert.deepEqual(s.restarts, [1, 2, 3]);
    mock.timers.tick(1);
    assert.deepEqual(s.restarts, [1, 2, 3, 4], 'after 20 s');
    s.r.peerState('connected');
    s.r.peerState('disconnected');
    assert.deepEqual(s.restarts, [1, 2, 3, 4, 5]);
    assert.equal(s.r.answered(5), true);
    mock.timers.tick(5_000);
    assert.deepEqual(s.restarts, [1, 2, 3, 4, 5, 6], 'connected in between: 5 s again');
  });

  it('R102 the callee does not offer when the path drops (the caller does); it applies each generation once and only newer ones; both give up after the limit', () => {
    using s = setup(false);
    s.r.peerState('failed');
    assert.deepEqual(s.restarts, []);
    assert.equal(s.r.accepts(1), true);
    assert.equal(s.r.accepts(1), false, 'the same restart again (a log caught up twice)');
    assert.equal(s.r.accepts(3), true);
    assert.equal(s.r.accepts(2), false, 'an older one after a newer');
    mock.timers.tick(29_999);
    assert.equal(s.lost(), false);
    mock.timers.tick(1);
    assert.equal(s.lost(), true);
  });

  it('R102 the caller\'s connection to the server comes back: one restart even while media still flows', () => {
    using s = setup(true);
    s.r.online();
    assert.deepEqual(s.restarts, [1]);
    assert.equal(s.r.since, undefined, 'not reconnecting: the path may still work');
    mock.timers.tick(60_000);
    assert.deepEqual(s.restarts, [1]);
  });

  it('R102 the callee\'s connection to the server comes back (its network changed): the callee restarts; in a glare the caller\'s restart wins on both sides', () => {
    using callee = setup(false);
    callee.r.online();
    assert.deepEqual(callee.restarts, [1], 'the callee offers a restart of its own');
    // The caller's restart crosses it: the callee drops its own (rolled back) and applies the caller's.
    assert.equal(callee.r.accepts(1), true, 'the caller\'s restart 1 (numbered on its side) is applied');
    assert.equal(callee.r.answered(1), false, 'its own restart is dropped: a late answer to it does not count');
    mock.timers.reset();
    using caller = setup(true);
    caller.r.online();
    assert.deepEqual(caller.restarts, [1]);
    assert.equal(caller.r.accepts(1), false, 'the caller ignores the callee\'s crossing restart (its own waits for an answer)');
    assert.equal(caller.r.answered(1), true, 'and takes the answer to its own');
    assert.equal(caller.r.accepts(2), true, 'a later restart of the callee, with none of its own pending, is applied');
  });
});
