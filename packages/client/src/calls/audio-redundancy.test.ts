import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedundancyReceiver, RedundancySender, redPrimary, splitTrailer } from './audio-redundancy.ts';

const opus = (i: number) => new Uint8Array([0x78, i, i, i]); // a TOC byte and a body that names the frame
/** A RED packet as Chromium sends it: one redundant block (the previous frame), then the primary. */
function red(i: number): Uint8Array {
  if (i === 0) return new Uint8Array([111, ...opus(0)]);
  const prev = opus(i - 1);
  return new Uint8Array([0x80 | 111, (960 >> 6) & 0xff, ((960 & 0x3f) << 2) | (prev.length >> 8), prev.length & 0xff, 111, ...prev, ...opus(i)]);
}
const TS0 = 0xfffff000; // wraps past 2^32 within the run

test('R165 RED packets: the primary block is found; a truncated header is not', () => {
  assert.deepEqual([...redPrimary(red(5))!.primary], [...opus(5)]);
  assert.equal(redPrimary(red(5))!.pt, 111);
  assert.deepEqual([...redPrimary(red(0))!.primary], [...opus(0)]);
  assert.equal(redPrimary(new Uint8Array([0x80 | 111, 1, 2])), undefined);
  assert.equal(redPrimary(new Uint8Array([0x80 | 111, 0, 3, 0xff, 111])), undefined, 'a block longer than the packet');
});

test('R165 a burst of four lost RED frames: RED gives back the last, the copies the two before; only the first stays lost', () => {
  const tx = new RedundancySender(2);
  const rx = new RedundancyReceiver();
  const played: number[] = [];
  for (let i = 0; i < 12; i++) {
    const ts = (TS0 + i * 960) >>> 0;
    const sent = tx.add({ payload: red(i), rtpTimestamp: ts, mimeType: 'audio/red' });
    if (i >= 4 && i <= 7) continue; // lost on the way
    const r = rx.take({ payload: sent, rtpTimestamp: ts, mimeType: 'audio/red' });
    assert.deepEqual([...r.payload], [...red(i)], 'the frame itself reaches the decoder unchanged');
    for (const x of r.recovered) {
      assert.deepEqual([...redPrimary(x.payload)!.primary], [...opus(((x.rtpTimestamp - TS0) >>> 0) / 960)], 'a recovered frame holds the Opus of its own time');
      played.push(((x.rtpTimestamp - TS0) >>> 0) / 960);
    }
    played.push(i);
  }
  // Frame 7 comes back from frame 8's RED block (the decoder's job); 5 and 6 from the copies; 4 is lost.
  assert.deepEqual(played, [0, 1, 2, 3, 5, 6, 8, 9, 10, 11]);
});

test('R165 plain Opus (no RED): the copies start with the frame just before', () => {
  const tx = new RedundancySender(2);
  const rx = new RedundancyReceiver();
  const got: number[] = [];
  for (let i = 0; i < 6; i++) {
    const sent = tx.add({ payload: opus(i), rtpTimestamp: i * 960, mimeType: 'audio/opus' });
    if (i === 2 || i === 3) continue;
    const r = rx.take({ payload: sent, rtpTimestamp: i * 960, mimeType: 'audio/opus' });
    got.push(...r.recovered.map((x) => x.payload[1]!), r.payload[1]!);
  }
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5]);
});

test('R165 a late original after its copy was played is dropped; nothing before the first frame is recovered', () => {
  const tx = new RedundancySender(2);
  const rx = new RedundancyReceiver();
  const frames = [0, 1, 2, 3].map((i) => tx.add({ payload: opus(i), rtpTimestamp: i * 960, mimeType: 'audio/opus' }));
  assert.deepEqual(rx.take({ payload: frames[1]!, rtpTimestamp: 960, mimeType: 'audio/opus' }).recovered, [], 'joined at frame 1: frame 0 is not "lost"');
  const r3 = rx.take({ payload: frames[3]!, rtpTimestamp: 2880, mimeType: 'audio/opus' });
  assert.deepEqual(r3.recovered.map((x) => x.rtpTimestamp), [1920]);
  assert.equal(rx.take({ payload: frames[2]!, rtpTimestamp: 1920, mimeType: 'audio/opus' }).duplicate, true);
});

test('R165 a frame without a trailer, or with a damaged one, passes as it is', () => {
  const plain = opus(9);
  assert.deepEqual(splitTrailer(plain), { payload: plain, copies: [] });
  const lying = new Uint8Array([1, 2, 3, 9, 0xc6, 0xa7]); // claims 9 copies it cannot hold
  assert.equal(splitTrailer(lying).payload, lying);
  const rx = new RedundancyReceiver();
  assert.deepEqual([...rx.take({ payload: lying, rtpTimestamp: 0 }).payload], [...lying]);
});
