import assert from 'node:assert/strict';
import { it } from 'node:test';
import { looksLike } from './avatar-image.ts';

const bytes = (...parts: (string | number[])[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

it('R143 an avatar\'s first bytes must be those of the type it is served as', () => {
  const png = bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const jpeg = bytes([0xff, 0xd8, 0xff, 0xe0]);
  const gif = bytes('GIF89a', [1, 0]);
  const webp = bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ');
  const html = bytes('<html><script>');
  assert.deepEqual([png, jpeg, gif, webp, html].map((b) => looksLike(b, 'image/png')), [true, false, false, false, false]);
  assert.deepEqual([png, jpeg, gif, webp, html].map((b) => looksLike(b, 'image/jpeg')), [false, true, false, false, false]);
  assert.deepEqual([png, jpeg, gif, webp, html].map((b) => looksLike(b, 'image/gif')), [false, false, true, false, false]);
  assert.deepEqual([png, jpeg, gif, webp, html].map((b) => looksLike(b, 'image/webp')), [false, false, false, true, false]);
  assert.equal(looksLike(new Uint8Array([0xff, 0xd8]), 'image/jpeg'), false, 'too short');
});
