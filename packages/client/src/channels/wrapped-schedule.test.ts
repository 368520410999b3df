import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkScheduledPlacement, WRAPPED_SCHEDULE_TOLERANCE_MS } from './wrapped-schedule.ts';

const MIN = 60_000;
const T = 1_800_000_000_000;
type P = { seq: number; epoch: number; verified: true; date: number; scheduled?: true };
const post = (seq: number, date: number, scheduled?: true): P => ({ seq, epoch: 1, verified: true, date, ...(scheduled ? { scheduled } : {}) });
const shown = (posts: ReturnType<typeof checkScheduledPlacement<P>>) => posts.map((p) => (p.verified ? p.seq : `early ${p.seq}`));

describe('R188 what a reader checks of scheduled wrapped posts', () => {
  it('R188 a scheduled post served more than the tolerance before its signed time by this device\'s clock is not shown; within it, or late, it is', () => {
    assert.equal(WRAPPED_SCHEDULE_TOLERANCE_MS, 10 * MIN);
    assert.deepEqual(shown(checkScheduledPlacement([post(1, T + 11 * MIN, true), post(2, T + 9 * MIN, true), post(3, T - 60 * MIN, true)], T)), ['early 1', 2, 3]);
  });

  it('R188 a scheduled post placed before an ordinary post signed well before its time was published early; a later scheduled post (re-sealed late) proves nothing', () => {
    // Post 2 was signed at T and placed after the post scheduled for T + 30 min: that one was in the log by T.
    assert.deepEqual(shown(checkScheduledPlacement([post(1, T + 30 * MIN, true), post(2, T)], T + 40 * MIN)), ['early 1', 2]);
    // Signed within the tolerance of its time: clocks differ, shown.
    assert.deepEqual(shown(checkScheduledPlacement([post(1, T + 5 * MIN, true), post(2, T)], T + 40 * MIN)), [1, 2]);
    // A scheduled post for T, re-sealed late, follows one scheduled for T + 30 min: its date is no signing time.
    assert.deepEqual(shown(checkScheduledPlacement([post(1, T + 30 * MIN, true), post(2, T, true)], T + 40 * MIN)), [1, 2]);
  });
});
