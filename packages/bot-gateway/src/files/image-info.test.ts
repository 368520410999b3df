import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { imageInfo } from './image-info.ts';

describe('picture headers (R107)', () => {
  it('R107 PNG, JPEG, GIF and WebP give their type and size; anything else is no picture', () => {
    const png = readFileSync(new URL('../../../../examples/bots/assets/tram.png', import.meta.url));
    assert.deepEqual(imageInfo(png), { mime: 'image/png', width: 48, height: 32 });
    // A JPEG: SOI, an APP0 segment, then SOF0 with height 20 and width 30.
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x14, 0x00, 0x1e, 0x03, 0, 0, 0, 0]);
    assert.deepEqual(imageInfo(jpeg), { mime: 'image/jpeg', width: 30, height: 20 });
    assert.deepEqual(imageInfo(new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x05, 0x00, 0x07, 0x00])), { mime: 'image/gif', width: 5, height: 7 });
    assert.equal(imageInfo(new TextEncoder().encode('not a picture at all')), undefined);
    assert.equal(imageInfo(new Uint8Array()), undefined);
    // A JPEG cut before its frame header: the type, no size.
    assert.deepEqual(imageInfo(jpeg.subarray(0, 8)), { mime: 'image/jpeg' });
  });
});
