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

  it('R102 the callee never offers; it applies each generation once and only newer ones; both give up after the limit', () => {
    using s = setup(false);
    s.r.peerState('failed');
    s.r.online();
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
});
