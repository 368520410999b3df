import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CipherTrim, PlainWindow } from './read-window.ts';

const bytes = (from: number, to: number) => Uint8Array.from({ length: to - from }, (_, i) => from + i);

it('a whole-blob answer (200) to a range read is skipped to the span and cut at its end, across pieces', () => {
  const trim = new CipherTrim(200, { start: 5, end: 12 }, false);
  const got = [bytes(0, 3), bytes(3, 8), bytes(8, 20)].map((p) => [...trim.take(p)]);
  assert.deepEqual(got, [[], [5, 6, 7], [8, 9, 10, 11]]);
  assert.equal(trim.done, true);
});

it('a 206 answer is taken as it comes; a whole read is never done early', () => {
  const ranged = new CipherTrim(206, { start: 5, end: 12 }, false);
  assert.deepEqual([...ranged.take(bytes(0, 4))], [0, 1, 2, 3]);
  assert.equal(ranged.done, false);
  const whole = new CipherTrim(200, { start: 0, end: 10 }, true);
  assert.deepEqual([...whole.take(bytes(0, 10))], [...bytes(0, 10)]);
  assert.equal(whole.done, false);
});

it('opened chunks are cut to the plaintext range asked for', () => {
  const wanted = new PlainWindow(100, 104, 111); // chunks of 4 from offset 100
  const parts = [bytes(100, 104), bytes(104, 108), bytes(108, 112), bytes(112, 116)].map((c) => wanted.cut(c));
  assert.deepEqual(parts.map((p) => (p ? [...p] : undefined)), [undefined, [104, 105, 106, 107], [108, 109, 110], undefined]);
});
