/**
 * An image's stored dimensions read from its header, without decoding it: PNG, JPEG, GIF, WebP and
 * BMP. What a decoder would allocate is known before it runs, so a decompression bomb (a small file
 * that claims 50,000 × 50,000 pixels) is refused without being decoded. `undefined`: not one of
 * these formats, or a header this reader does not understand (the file is then sent without a
 * thumbnail).
 */
export function probeImageSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = (i: number) => bytes[i] ?? -1;
  const ascii = (i: number, s: string) => [...s].every((c, k) => at(i + k) === c.charCodeAt(0));
  const fits = (n: number) => bytes.length >= n;
  // PNG: signature, then IHDR's width and height.
  if (fits(24) && at(0) === 0x89 && ascii(1, 'PNG') && ascii(12, 'IHDR')) return sized(v.getUint32(16), v.getUint32(20));
  // GIF: logical screen size, little-endian.
  if (fits(10) && (ascii(0, 'GIF87a') || ascii(0, 'GIF89a'))) return sized(v.getUint16(6, true), v.getUint16(8, true));
  // BMP: BITMAPINFOHEADER's width and (signed, maybe negative: top-down) height.
  if (fits(26) && ascii(0, 'BM')) return sized(Math.abs(v.getInt32(18, true)), Math.abs(v.getInt32(22, true)));
  // WebP: lossy (VP8), lossless (VP8L) or extended (VP8X).
  if (fits(30) && ascii(0, 'RIFF') && ascii(8, 'WEBP')) {
    if (ascii(12, 'VP8 ')) return sized(v.getUint16(26, true) & 0x3fff, v.getUint16(28, true) & 0x3fff);
    if (ascii(12, 'VP8L')) {
      const b = v.getUint32(21, true);
      return sized((b & 0x3fff) + 1, ((b >>> 14) & 0x3fff) + 1);
    }
    if (ascii(12, 'VP8X')) return sized(1 + (at(24) | (at(25) << 8) | (at(26) << 16)), 1 + (at(27) | (at(28) << 8) | (at(29) << 16)));
    return undefined;
  }
  // JPEG: walk the markers to the first start-of-frame.
  if (fits(4) && at(0) === 0xff && at(1) === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (at(i) !== 0xff) return undefined;
      const marker = at(i + 1);
      if (marker === 0xff) { i += 1; continue; }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
      const length = v.getUint16(i + 2);
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) return sized(v.getUint16(i + 7), v.getUint16(i + 5));
      if (length < 2) return undefined;
      i += 2 + length;
    }
  }
  return undefined;
}

function sized(width: number, height: number): { width: number; height: number } | undefined {
  return width > 0 && height > 0 ? { width, height } : undefined;
}
