import type { BotAvatarRequest } from '@parley/protocol';

/** How many first bytes `looksLike` needs to tell the avatar types apart. */
export const IMAGE_HEAD_BYTES = 12;

const ascii = (head: Uint8Array, at: number, text: string): boolean =>
  [...text].every((c, i) => head[at + i] === c.charCodeAt(0));

/**
 * R143: whether an upload's first bytes are those of an image of this type (its magic number), so
 * that what is served as `image/png` is a PNG: a browser never gets a page or script named as an image.
 */
export function looksLike(head: Uint8Array, mime: BotAvatarRequest['mime']): boolean {
  switch (mime) {
    case 'image/png': return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => head[i] === b);
    case 'image/jpeg': return head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
    case 'image/gif': return ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a');
    case 'image/webp': return ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP');
  }
}
