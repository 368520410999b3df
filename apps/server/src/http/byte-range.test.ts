import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange } from './byte-range.ts';

describe('parseRange (R55)', () => {
  it('one range: first-last, open-ended, suffix; clipped to the end', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=2-5', 10), { start: 2, end: 5 });
    assert.deepEqual(parseRange('bytes=4-', 10), { start: 4, end: 9 });
    assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=-30', 10), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
  });
  it('past the end is unsatisfiable (416); so is any range of an empty blob', () => {
    assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=10-20', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  });
  it('absent, malformed, reversed or several ranges: the whole blob', () => {
    for (const h of [undefined, '', 'bytes=', 'bytes=-', 'items=0-1', 'bytes=5-2', 'bytes=0-1,3-4', 'bytes=a-b', 'bytes=1-2-3', `bytes=${'9'.repeat(40)}-`]) {
      assert.equal(parseRange(h, 10), 'whole', String(h));
    }
  });
});
