import { ByteWriter } from './byte-codec.ts';

// The byte layout of a split session envelope (session-codec.ts, version 2), without ts-mls: the
// store side (e2ee/group-records.ts) runs on the web client's main thread, which never loads MLS code.

export const MAGIC = 0x4d; // 'M'
/** Version 2: magic, version, epoch part id, epoch part, then version 1's body with every ratchet tree left empty (and no tree hashes). */
export const VERSION_SPLIT = 2;

/** A split envelope's parts (undefined for a version 1 envelope): what a store keeps in its two records. */
export function splitEnvelope(bytes: Uint8Array): { id: Uint8Array; epochPart: Uint8Array; rest: Uint8Array } | undefined {
  if (bytes.length < 2 || bytes[0] !== MAGIC || bytes[1] !== VERSION_SPLIT) return undefined;
  // Views, not copies: the epoch part is most of the bytes.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idLength = view.getUint32(2);
  const partLength = view.getUint32(6 + idLength);
  const at = 10 + idLength;
  if (at + partLength > bytes.length) throw new RangeError('truncated MLS session envelope');
  return { id: bytes.subarray(6, 6 + idLength), epochPart: bytes.subarray(at, at + partLength), rest: bytes.subarray(at + partLength) };
}

/** The split envelope again from its parts. */
export function joinEnvelope(id: Uint8Array, epochPart: Uint8Array, rest: Uint8Array): Uint8Array {
  const head = new ByteWriter().u8(MAGIC).u8(VERSION_SPLIT).bytes(id).u32(epochPart.length).finish();
  const out = new Uint8Array(head.length + epochPart.length + rest.length);
  out.set(head, 0);
  out.set(epochPart, head.length);
  out.set(rest, head.length + epochPart.length);
  return out;
}
