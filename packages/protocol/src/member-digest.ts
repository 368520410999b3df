/**
 * R131: a digest of a chat's member set, the same whatever the order: two 32-bit FNV-1a hashes of
 * each member's user id (different offsets), each summed over the members (mod 2^32), and the count.
 * The server puts it on every `members` frame (R117), computed from the members after the change; a
 * device compares it with the list it patched: a different digest means it missed a frame. Not a
 * security check (the server says who is a member; the encryption group is checked by R18): it
 * catches a lost frame, for which a collision is a 2^-64 chance.
 */
export function memberDigest(userIds: Iterable<string>): string {
  let a = 0;
  let b = 0;
  let n = 0;
  for (const id of userIds) {
    a = (a + fnv1a(id, 0x811c9dc5)) >>> 0;
    b = (b + fnv1a(id, 0x050c5d1f)) >>> 0;
    n++;
  }
  return `${n}:${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

function fnv1a(text: string, offset: number): number {
  let h = offset;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
