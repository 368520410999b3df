import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { extensionOf, formatBytes, formatDuration } from './format.ts';
import { probeImageSize } from './image-probe.ts';
import { fitName, kindOf } from './names.ts';
import { sanitizeFileName } from './sdk.ts';
import { decodeWaveform, encodeWaveform, squeeze } from './waveform.ts';

/** A PNG header claiming `width` × `height` (IHDR only, which is all the probe reads). */
function pngHeader(width: number, height: number): Uint8Array {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'ascii');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return new Uint8Array(b);
}

describe('files in the web client', () => {
  it('R52 probeImageSize reads dimensions from headers without decoding (PNG, GIF, JPEG, WebP, BMP)', () => {
    assert.deepEqual(probeImageSize(pngHeader(640, 480)), { width: 640, height: 480 });
    // A decompression bomb: a few bytes that claim 60,000 × 60,000 pixels.
    assert.deepEqual(probeImageSize(pngHeader(60_000, 60_000)), { width: 60_000, height: 60_000 });
    const gif = new Uint8Array([...Buffer.from('GIF89a'), 0x20, 0x03, 0x58, 0x02, 0, 0]);
    assert.deepEqual(probeImageSize(gif), { width: 800, height: 600 });
    // JPEG: SOI, an APP0 segment, then SOF0 with height 300, width 400.
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x01, 0x90, 0x03, 0, 0, 0, 0]);
    assert.deepEqual(probeImageSize(jpeg), { width: 400, height: 300 });
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'ascii'); webp.write('WEBPVP8X', 8, 'ascii');
    webp.writeUIntLE(1919, 24, 3); webp.writeUIntLE(1079, 27, 3);
    assert.deepEqual(probeImageSize(new Uint8Array(webp)), { width: 1920, height: 1080 });
    const bmp = Buffer.alloc(26); bmp.write('BM', 0, 'ascii'); bmp.writeInt32LE(10, 18); bmp.writeInt32LE(-20, 22);
    assert.deepEqual(probeImageSize(new Uint8Array(bmp)), { width: 10, height: 20 });
  });

  it('R52 malformed, truncated and empty images have no size (sent as plain files)', () => {
    assert.equal(probeImageSize(new Uint8Array()), undefined);
    assert.equal(probeImageSize(pngHeader(0, 10)), undefined);
    assert.equal(probeImageSize(pngHeader(10, 10).slice(0, 20)), undefined);
    assert.equal(probeImageSize(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0, 0, 0, 0, 0, 0])), undefined);
    assert.equal(probeImageSize(new Uint8Array(deflateSync(Buffer.alloc(1000)))), undefined);
    // Random bytes never throw.
    for (let i = 0; i < 200; i++) probeImageSize(new Uint8Array(Array.from({ length: 64 }, () => Math.floor(Math.random() * 256))));
  });

  it('R52 file names: control and bidi override characters are removed before display', () => {
    assert.equal(sanitizeFileName('invoice\u202Efdp.exe'), 'invoicefdp.exe');
    assert.equal(sanitizeFileName('a\u0000b\u001b[31mc\u2066de.txt'), 'ab[31mcde.txt');
    assert.equal(sanitizeFileName('\u202E\u200F'), 'file');
    assert.equal(sanitizeFileName('отчёт 2024.pdf'), 'отчёт 2024.pdf');
  });

  it('names fit the attachment (255 characters, extension kept); kinds come from MIME types, SVG is a file', () => {
    const long = `${'x'.repeat(400)}.pdf`;
    assert.equal(fitName(long).length, 255);
    assert.ok(fitName(long).endsWith('….pdf'));
    assert.equal(fitName('  '), 'file');
    assert.equal(kindOf('image/png'), 'image');
    assert.equal(kindOf('image/svg+xml'), 'file');
    assert.equal(kindOf('video/mp4'), 'video');
    assert.equal(kindOf('audio/ogg'), 'audio');
    assert.equal(kindOf('application/pdf'), 'file');
  });

  it('R52 waveforms are at most 128 bytes, the loudest at 255; a bad one is drawn flat', () => {
    const levels = Array.from({ length: 1000 }, (_, i) => (i % 100) / 100);
    const wave = encodeWaveform(levels);
    assert.ok(wave);
    const bytes = Buffer.from(wave, 'base64');
    assert.equal(bytes.length, 128);
    assert.equal(Math.max(...bytes), 255);
    assert.equal(encodeWaveform([]), undefined);
    assert.equal(Buffer.from(encodeWaveform([0.1, 0.2])!, 'base64').length, 2);
    assert.equal(decodeWaveform(wave).length, 128);
    assert.deepEqual(decodeWaveform('%%%', 4), [0.15, 0.15, 0.15, 0.15]);
    assert.deepEqual(squeeze([0, 1, 0.5, 0.2, 0, 0], 3), [1, 0.5, 0]);
    assert.equal(squeeze(decodeWaveform(wave), 42).length, 42);
  });

  it('sizes and durations read like a file manager: 1.5 MB, 0:07, 1:05:09; extensions on icons', () => {
    assert.equal(formatBytes(12, 'en'), '12 B');
    assert.equal(formatBytes(12, 'ru'), '12 Б');
    assert.equal(formatBytes(1_500_000, 'en'), '1.5 MB');
    assert.equal(formatBytes(52_428_800, 'en'), '52 MB');
    assert.equal(formatDuration(7_000), '0:07');
    assert.equal(formatDuration(3_909_000), '1:05:09');
    assert.equal(extensionOf('minutes.pdf'), 'PDF');
    assert.equal(extensionOf('archive.tar.gz'), 'GZ');
    assert.equal(extensionOf('README'), '');
  });
});
