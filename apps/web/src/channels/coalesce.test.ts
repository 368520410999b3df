import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coalesce, type Timers } from './coalesce.ts';

/** Timers a test moves by hand. */
function handTimers(): Timers & { due: Array<{ fn: () => void; ms: number; id: number }>; runAll(): void } {
  let next = 0;
  const due: Array<{ fn: () => void; ms: number; id: number }> = [];
  return {
    due,
    setTimeout: (fn, ms) => { due.push({ fn, ms, id: ++next }); return next; },
    clearTimeout: (id) => { const i = due.findIndex((d) => d.id === id); if (i >= 0) due.splice(i, 1); },
    runAll() { for (const d of due.splice(0)) d.fn(); },
  };
}

describe('R182 the wrapped row\'s preview is read once per burst of post notices', () => {
  it('a burst of triggers makes one call after the delay; the next burst another; a cancelled one none', () => {
    const timers = handTimers();
    let reads = 0;
    const preview = coalesce(() => { reads++; }, 1500, timers);
    for (let i = 0; i < 50; i++) preview.trigger(); // fifty posts' notices
    assert.deepEqual([reads, timers.due.length, timers.due[0]?.ms], [0, 1, 1500]);
    timers.runAll();
    assert.equal(reads, 1);
    preview.trigger();
    preview.trigger();
    timers.runAll();
    assert.equal(reads, 2);
    preview.trigger();
    preview.cancel();
    timers.runAll();
    assert.equal(reads, 2);
  });
});
