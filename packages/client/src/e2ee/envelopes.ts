import type { Envelope } from '@parley/protocol';
import { decodeCommitBundle as decodeBytes, encodeCommitBundle as encodeBytes, MLS_APP_CONTENT_TYPE, MLS_COMMIT_CONTENT_TYPE, type CommitBundle } from '@parley/mls-public';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';

export { MLS_APP_CONTENT_TYPE, MLS_COMMIT_CONTENT_TYPE, type CommitBundle };

/** A commit, its Welcome and GroupInfo (when it has them) as a `parley/mls-commit` envelope (packages/mls-public bundle.ts). */
export function encodeCommitBundle(bundle: Partial<CommitBundle> & { commit: Uint8Array }): Envelope {
  return { contentType: MLS_COMMIT_CONTENT_TYPE, payload: bytesToBase64(encodeBytes(bundle)) };
}

/** Undefined when the bytes are not a well-formed bundle. */
export function decodeCommitBundle(envelope: Envelope): CommitBundle | undefined {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(envelope.payload);
  } catch {
    return undefined;
  }
  return decodeBytes(bytes);
}
