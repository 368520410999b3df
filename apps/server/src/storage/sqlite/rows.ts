import type { KeyLogEntry, KeyLogKind, Message, SystemEvent } from '@parley/protocol';
import type { ChatRow, DeviceRow, InviteRow, KeyPackageRow, MemberPrefs, MemberRow, PasskeyRow, PushSubscriptionRow, UserRow } from '../storage.ts';

/** Row ↔ domain mappers for SQLite (snake_case columns, payloads as BLOBs). */
export interface MessageRecord {
  chat_id: string; seq: number; client_msg_id: string; sender_user_id: string; sender_device_id: string;
  sent_at: number; content_type: string | null; payload: Buffer | null; system: string | null;
  /** R15: the epoch a `commit` frame's entry was accepted at; null on every other entry. */
  mls_epoch?: number | string | null;
  /** R83: the sender's franking commitment (base64), where it gave one. */
  frank?: string | null;
}

export function toMessage(r: MessageRecord): Message {
  return {
    chatId: r.chat_id,
    seq: r.seq,
    clientMsgId: r.client_msg_id,
    senderUserId: r.sender_user_id,
    senderDeviceId: r.sender_device_id,
    sentAt: r.sent_at,
    envelope: r.content_type !== null && r.payload !== null ? { contentType: r.content_type, payload: r.payload.toString('base64') } : null,
    system: r.system !== null ? (JSON.parse(r.system) as SystemEvent) : null,
    ...(r.mls_epoch === null || r.mls_epoch === undefined ? {} : { commitEpoch: Number(r.mls_epoch) }),
    ...(r.frank === null || r.frank === undefined ? {} : { frank: r.frank }),
  };
}

export const toUser = (r: Record<string, unknown>): UserRow => ({
  userId: r['user_id'] as string,
  handle: r['handle'] as string,
  displayName: r['display_name'] as string,
  createdAt: r['created_at'] as number,
  recoveryHash: r['recovery_hash'] as string,
});

export const toDevice = (r: Record<string, unknown>): DeviceRow => ({
  deviceId: r['device_id'] as string,
  userId: r['user_id'] as string,
  name: r['name'] as string,
  publicKey: r['public_key'] as string,
  createdAt: r['created_at'] as number,
  lastSeenAt: r['last_seen_at'] as number | null,
  revokedAt: r['revoked_at'] as number | null,
});

export const toPasskey = (r: Record<string, unknown>): PasskeyRow => ({
  credentialId: r['credential_id'] as string,
  userId: r['user_id'] as string,
  publicKey: new Uint8Array(r['public_key'] as Buffer),
  counter: r['counter'] as number,
  transports: JSON.parse(r['transports'] as string) as string[],
  createdAt: r['created_at'] as number,
});

export const toChat = (r: Record<string, unknown>): ChatRow => ({
  chatId: r['chat_id'] as string,
  kind: r['kind'] as ChatRow['kind'],
  name: r['name'] as string,
  color: r['color'] as string,
  createdAt: r['created_at'] as number,
  lastSeq: r['last_seq'] as number,
  mlsEpoch: r['mls_epoch'] as number,
  directKey: r['direct_key'] as string | null,
});

export const toMember = (r: Record<string, unknown>): MemberRow => ({
  chatId: r['chat_id'] as string,
  userId: r['user_id'] as string,
  role: r['role'] as MemberRow['role'],
  joinedAt: r['joined_at'] as number,
  deliveredSeq: r['delivered_seq'] as number,
  readSeq: r['read_seq'] as number,
  adminSince: (r['admin_since'] ?? null) as number | null,
  ...memberPrefs(r),
});

/** R48: the set ones of a member row's settings (both dialects: SQLite 0/1, PostgreSQL booleans, BIGINT as string). */
function memberPrefs(r: Record<string, unknown>): { prefs?: MemberPrefs } {
  const prefs: MemberPrefs = {};
  if (r['archived'] === true || r['archived'] === 1) prefs.archived = true;
  const muted = Number(r['muted_until'] ?? 0);
  if (muted > 0) prefs.mutedUntil = muted;
  if (r['marked_unread'] === true || r['marked_unread'] === 1) prefs.markedUnread = true;
  return Object.keys(prefs).length > 0 ? { prefs } : {};
}

export const toInvite = (r: Record<string, unknown>): InviteRow => ({
  token: r['token'] as string,
  chatId: r['chat_id'] as string,
  createdBy: r['created_by'] as string,
  createdAt: r['created_at'] as number,
  expiresAt: r['expires_at'] as number | null,
  maxUses: (r['max_uses'] ?? null) as number | null,
  uses: (r['uses'] ?? 0) as number,
});

export const toPush = (r: Record<string, unknown>): PushSubscriptionRow => ({
  endpoint: r['endpoint'] as string,
  userId: r['user_id'] as string,
  deviceId: r['device_id'] as string,
  p256dh: r['p256dh'] as string,
  auth: r['auth'] as string,
  createdAt: r['created_at'] as number,
});

export const toKeyPackage = (r: Record<string, unknown>): KeyPackageRow => ({
  keyPackageId: r['key_package_id'] as string,
  userId: r['user_id'] as string,
  deviceId: r['device_id'] as string,
  keyPackage: (r['key_package'] as Buffer).toString('base64'),
  lastResort: Number(r['last_resort']) === 1,
  createdAt: r['created_at'] as number,
});

export const toKeyLogEntry = (r: Record<string, unknown>): KeyLogEntry => ({
  index: r['idx'] as number,
  kind: r['kind'] as KeyLogKind,
  deviceId: r['device_id'] as string,
  mlsSignatureKey: r['mls_signature_key'] as string | null,
  at: r['at'] as number,
  prevHash: r['prev_hash'] as string,
  hash: r['hash'] as string,
});
