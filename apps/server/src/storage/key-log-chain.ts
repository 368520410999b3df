import { createHash } from 'node:crypto';
import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes, type KeyLogEntry, type KeyLogHead, type KeyLogKind } from '@parley/protocol';

/** An entry before the log places it: what happened, to which device, when. */
export interface KeyLogDraft {
  kind: KeyLogKind;
  deviceId: string;
  mlsSignatureKey: string | null;
  at: number;
}

export const EMPTY_KEY_LOG_HEAD: KeyLogHead = { index: 0, hash: KEY_LOG_GENESIS_HASH };

/**
 * The entry that follows `head` in `userId`'s log (R19): the next index, chained by SHA-256 over the
 * canonical encoding of packages/protocol (keyLogEntryBytes), which clients recompute.
 * Both storage implementations call this while they hold the user's append lock.
 */
export function chainEntry(userId: string, head: KeyLogHead, draft: KeyLogDraft): KeyLogEntry {
  const fields = { userId, index: head.index + 1, prevHash: head.hash, ...draft };
  const hash = createHash('sha256').update(keyLogEntryBytes(fields)).digest('hex');
  return { index: fields.index, kind: draft.kind, deviceId: draft.deviceId, mlsSignatureKey: draft.mlsSignatureKey, at: draft.at, prevHash: head.hash, hash };
}
