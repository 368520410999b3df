// R64 call media encryption (SFrame, FrameKeys) in Node's Web Crypto, one core: the time to encrypt
// and to decrypt one frame, and the bytes SFrame adds, for an Opus frame (20 ms, ~80-160 bytes), a
// VP8 delta frame (~4 KB) and a key frame (~40 KB); and how many such streams one core could carry
// each way (a browser does the same work in its frame worker; its Web Crypto has a per-call cost of
// the same order). Prints figures; no target is asserted.
// Usage: node --import tsx bench/sframe.ts [frames=5000]
import { FrameKeys, type CallEpochKey } from '@parley/client';

const frames = Number(process.argv[2] ?? 5000);
const key = (leafIndex: number): CallEpochKey => ({ epoch: 7n, leafIndex, leafCount: 2, baseKey: new Uint8Array(16).fill(9) });

async function run(label: string, bytes: number, perSecond: number): Promise<void> {
  const sender = new FrameKeys();
  const receiver = new FrameKeys();
  sender.setEpoch(key(0));
  receiver.setEpoch(key(1));
  const frame = crypto.getRandomValues(new Uint8Array(bytes));
  const sealed: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) await receiver.decrypt(await sender.encrypt(frame)); // warm-up (and the receiver's key)
  let t = performance.now();
  for (let i = 0; i < frames; i++) sealed.push(await sender.encrypt(frame));
  const enc = (performance.now() - t) / frames;
  t = performance.now();
  for (const s of sealed) await receiver.decrypt(s);
  const dec = (performance.now() - t) / frames;
  const overhead = sealed.at(-1)!.length - bytes;
  console.log(`${label.padEnd(22)} ${String(bytes).padStart(6)} B: encrypt ${(enc * 1000).toFixed(1).padStart(6)} µs, decrypt ${(dec * 1000).toFixed(1).padStart(6)} µs, +${overhead} B a frame`
    + ` (${((overhead * 8 * perSecond) / 1000).toFixed(1)} kbit/s at ${perSecond}/s); one core: ${Math.floor(1000 / (enc * perSecond))} streams out or ${Math.floor(1000 / (dec * perSecond))} in`);
}

console.log(`SFrame AES_128_GCM_SHA256_128, ${frames} frames each, Node ${process.version}`);
await run('Opus 20 ms (32 kbit/s)', 80, 50);
await run('Opus 20 ms (64 kbit/s)', 160, 50);
await run('VP8 delta frame', 4_000, 30);
await run('VP8 key frame', 40_000, 1);
