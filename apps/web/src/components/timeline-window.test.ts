import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESTIMATE_PX, windowRange } from './timeline-window.ts';

describe('the message list window (issue 12)', () => {
  const rows = Array.from({ length: 5000 }, () => 50);
  it('draws only the rows near the visible part, with the rest as spacers of their heights', () => {
    const r = windowRange(rows, 100_000, 600, 200);
    assert.deepEqual(r, { start: 1996, end: 2016, before: 99_800, after: (5000 - 2016) * 50 });
    assert.equal(r.before + (r.end - r.start) * 50 + r.after, 5000 * 50);
  });
  it('starts at the top and ends at the bottom', () => {
    assert.deepEqual(windowRange(rows, 0, 600, 200), { start: 0, end: 16, before: 0, after: 4984 * 50 });
    assert.deepEqual(windowRange(rows, 5000 * 50 - 600, 600, 200), { start: 4984, end: 5000, before: 4984 * 50, after: 0 });
  });
  it('uses the estimate for unmeasured rows and handles an empty list', () => {
    assert.deepEqual(windowRange([], 0, 600), { start: 0, end: 0, before: 0, after: 0 });
    const r = windowRange([undefined as unknown as number, 1000], 0, 10, 0);
    assert.deepEqual(r, { start: 0, end: 1, before: 0, after: 1000 });
    assert.equal(windowRange([1000, 1000], 1500, 10, 0).before, 1000);
    assert.ok(ESTIMATE_PX > 0);
  });
});
