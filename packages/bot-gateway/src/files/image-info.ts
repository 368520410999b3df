/** What a picture's first bytes say: its type and size (PNG, JPEG, GIF, WebP), undefined for anything else. */
export function imageInfo(head: Uint8Array): { mime: string; width?: number; height?: number } | undefined {
  const b = head;
  const be16 = (i: number) => (b[i]! << 8) | b[i + 1]!;
  const be32 = (i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
  const le16 = (i: number) => b[i]! | (b[i + 1]! << 8);
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return sized('image/png', be32(16), be32(20));
  if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return sized('image/gif', le16(6), le16(8));
  if (b.length >= 30 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') {
    const chunk = ascii(b, 12, 16);
    if (chunk === 'VP8X') return sized('image/webp', 1 + (b[24]! | (b[25]! << 8) | (b[26]! << 16)), 1 + (b[27]! | (b[28]! << 8) | (b[29]! << 16)));
    if (chunk === 'VP8 ') return sized('image/webp', le16(26) & 0x3fff, le16(28) & 0x3fff);
    if (chunk === 'VP8L') { const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24); return sized('image/webp', (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1); }
    return { mime: 'image/webp' };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    // Walk the segments to the first start-of-frame marker.
    let i = 2;
    while (i + 9 < b.length && b[i] === 0xff) {
      const marker = b[i + 1]!;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return sized('image/jpeg', be16(i + 7), be16(i + 5));
      i += 2 + be16(i + 2);
    }
    return { mime: 'image/jpeg' };
  }
  return undefined;
}

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

function sized(mime: string, width: number, height: number): { mime: string; width?: number; height?: number } {
  return width > 0 && height > 0 && width <= 100_000 && height <= 100_000 ? { mime, width, height } : { mime };
}
