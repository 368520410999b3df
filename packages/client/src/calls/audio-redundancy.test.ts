import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRed, parseRed, RedDeepener, RedDepthPolicy } from './audio-redundancy.ts';

const opus = (i: number) => new Uint8Array([0x78, i, i, i]); // a TOC byte and a body that names the frame
/** A RED packet as Chromium sends it: one redundant block (the previous frame), then the primary. */
function red(i: number): Uint8Array {
  if (i === 0) return new Uint8Array([111, ...opus(0)]);
  return buildRed({ pt: 111, blocks: [{ pt: 111, offset: 960, data: opus(i - 1) }], primary: opus(i) });
}
const TS0 = 0xfffff000; // wraps past 2^32 within the run
const names = (payload: Uint8Array) => {
  const r = parseRed(payload)!;
  return { blocks: r.blocks.map((b) => [b.offset, b.data[1]]), primary: r.primary[1] };
};

test('R165 RED packets parse and build back to the same bytes; a truncated or overlong one is not RED', () => {
  for (const i of [0, 5]) assert.deepEqual(buildRed(parseRed(red(i))!), red(i));
  assert.deepEqual(names(red(5)), { blocks: [[960, 4]], primary: 5 });
  assert.equal(parseRed(new Uint8Array([0x80 | 111, 1, 2])), undefined);
  assert.equal(parseRed(new Uint8Array([0x80 | 111, 0, 3, 0xff, 111])), undefined, 'a block longer than the packet');
});

test('R165 each RED packet carries the three frames before it, oldest first, with their offsets; the first packets what they have', () => {
  const deep = new RedDeepener(3);
  const out = Array.from({ length: 6 }, (_, i) => names(deep.add({ payload: red(i), rtpTimestamp: (TS0 + i * 960) >>> 0, mimeType: 'audio/red' })));
  assert.deepEqual(out[0], { blocks: [], primary: 0 });
  assert.deepEqual(out[1], { blocks: [[960, 0]], primary: 1 });
  assert.deepEqual(out[2], { blocks: [[1920, 0], [960, 1]], primary: 2 });
  assert.deepEqual(out[5], { blocks: [[2880, 2], [1920, 3], [960, 4]], primary: 5 });
});

test('R165 a gap in the frames (a pause, a jump in time) carries only frames at their true offsets; depth 1 leaves the browser\'s packet as it is', () => {
  const deep = new RedDeepener(3);
  deep.add({ payload: red(1), rtpTimestamp: 960, mimeType: 'audio/red' });
  deep.add({ payload: red(2), rtpTimestamp: 1920, mimeType: 'audio/red' });
  assert.deepEqual(names(deep.add({ payload: red(9), rtpTimestamp: 9 * 960, mimeType: 'audio/red' })), { blocks: [[960, 8]], primary: 9 });
  const shallow = new RedDeepener(1);
  const same = red(7);
  assert.equal(shallow.add({ payload: same, rtpTimestamp: 7 * 960, mimeType: 'audio/red' }), same);
});

test('R165 plain Opus and payloads that are not RED pass unchanged; depth is bounded', () => {
  const deep = new RedDeepener(3);
  const plain = opus(3);
  assert.equal(deep.add({ payload: plain, rtpTimestamp: 0, mimeType: 'audio/opus' }), plain);
  const broken = new Uint8Array([0x80 | 111, 0, 3]);
  assert.equal(deep.add({ payload: broken, rtpTimestamp: 0, mimeType: 'audio/red' }), broken);
  assert.equal(new RedDeepener(99).depth, 4);
  assert.equal(new RedDeepener(0).depth, 1);
});

test('R165 deeper RED only while the call loses packets: on at 1% loss either way, off 20 s after the last loss', () => {
  const policy = new RedDepthPolicy(3);
  assert.equal(policy.update(0, 0), 1, 'a clean call keeps the browser\'s RED');
  assert.equal(policy.update(2_000, 0.004), 1, 'a stray lost packet is not a lossy link');
  assert.equal(policy.update(4_000, 0.05), 3);
  assert.equal(policy.update(14_000, 0), 3, 'bursts come and go: it holds');
  assert.equal(policy.update(23_000, 0.02), 3);
  assert.equal(policy.update(42_000, 0), 3);
  assert.equal(policy.update(43_000, 0), 1, '20 s without loss');
});
