import { decodeMlsMessage } from 'ts-mls';

/** An MLS PrivateMessage (RFC 9420 §6.3) carrying one Content as UTF-8 JSON. */
export const MLS_APP_CONTENT_TYPE = 'parley/mls-app';
/** An MLS commit with its Welcome and GroupInfo, when it has them: see encodeCommitBundle. */
export const MLS_COMMIT_CONTENT_TYPE = 'parley/mls-commit';

/** The group id of a group started at a chat's epoch: the chat id for its first group, `chatId#epoch` for a restart (R36). */
export function startGroupId(chatId: string, epoch: number): string {
  return epoch === 0 ? chatId : `${chatId}#${epoch}`;
}

/**
 * What one `commit` frame carries. `welcome`: for the devices the commit adds. `groupInfo`: the
 * public state of the epoch the commit is made in (a GroupInfo with the ratchet tree), sent only
 * when the server has none to check the commit against: a group being started (R35).
 */
export interface CommitBundle {
  commit: Uint8Array;
  welcome: Uint8Array | undefined;
  groupInfo: Uint8Array | undefined;
}

/**
 * `u32 commit length (big-endian) ‖ commit ‖ [Welcome] ‖ [GroupInfo]`: the commit MLSMessage, then
 * the Welcome and GroupInfo MLSMessages, each at most once and in that order (MLSMessages delimit
 * themselves). A bundle with only a commit and a Welcome is the format of earlier versions.
 */
export function encodeCommitBundle(bundle: Partial<CommitBundle> & { commit: Uint8Array }): Uint8Array {
  const parts = [bundle.welcome, bundle.groupInfo].filter((p): p is Uint8Array => p !== undefined);
  const bytes = new Uint8Array(4 + bundle.commit.length + parts.reduce((n, p) => n + p.length, 0));
  new DataView(bytes.buffer).setUint32(0, bundle.commit.length);
  bytes.set(bundle.commit, 4);
  let at = 4 + bundle.commit.length;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

/** Undefined when the bytes are not a well-formed bundle (the MLS messages in it are only framed, not checked). */
export function decodeCommitBundle(bytes: Uint8Array): CommitBundle | undefined {
  if (bytes.length < 4) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (length === 0 || 4 + length > bytes.length) return undefined;
  const out: CommitBundle = { commit: bytes.slice(4, 4 + length), welcome: undefined, groupInfo: undefined };
  let at = 4 + length;
  while (at < bytes.length) {
    let decoded;
    try {
      decoded = decodeMlsMessage(bytes, at);
    } catch {
      return undefined;
    }
    if (decoded === undefined || decoded[1] <= 0) return undefined;
    const [message, size] = decoded;
    const part = bytes.slice(at, at + size);
    if (message.wireformat === 'mls_welcome' && out.welcome === undefined && out.groupInfo === undefined) out.welcome = part;
    else if (message.wireformat === 'mls_group_info' && out.groupInfo === undefined) out.groupInfo = part;
    else return undefined;
    at += size;
  }
  return out;
}
