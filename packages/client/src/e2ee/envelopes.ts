import type { Envelope } from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';

/** An MLS PrivateMessage (RFC 9420 §6.3) carrying one Content as UTF-8 JSON. */
export const MLS_APP_CONTENT_TYPE = 'parley/mls-app';
/** An MLS commit and, when it adds devices, their Welcome: see encodeCommitBundle. */
export const MLS_COMMIT_CONTENT_TYPE = 'parley/mls-commit';

export interface CommitBundle {
  commit: Uint8Array;
  welcome: Uint8Array | undefined;
}

/** `u32 commit length (big-endian) ‖ commit ‖ welcome (the rest; empty when none)`. */
export function encodeCommitBundle(bundle: CommitBundle): Envelope {
  const welcome = bundle.welcome ?? new Uint8Array();
  const bytes = new Uint8Array(4 + bundle.commit.length + welcome.length);
  new DataView(bytes.buffer).setUint32(0, bundle.commit.length);
  bytes.set(bundle.commit, 4);
  bytes.set(welcome, 4 + bundle.commit.length);
  return { contentType: MLS_COMMIT_CONTENT_TYPE, payload: bytesToBase64(bytes) };
}

/** Undefined when the bytes are not a well-formed bundle. */
export function decodeCommitBundle(envelope: Envelope): CommitBundle | undefined {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(envelope.payload);
  } catch {
    return undefined;
  }
  if (bytes.length < 4) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (length === 0 || 4 + length > bytes.length) return undefined;
  const welcome = bytes.subarray(4 + length);
  return { commit: bytes.slice(4, 4 + length), welcome: welcome.length > 0 ? welcome.slice() : undefined };
}
