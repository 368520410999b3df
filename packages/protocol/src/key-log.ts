import { z } from 'zod';
import { Base64, Id, PublicKey } from './common.ts';

/**
 * The per-user device-key log (R19-R22): an append-only, hash-chained list of which MLS signature
 * key each device of a user holds, and when a device was revoked. Every client recomputes the chain
 * and checks that a user's log only ever grows (docs/PROTOCOL.md, "Key transparency").
 */

/** Most entries one `GET /users/:userId/key-log` page returns; `limit` may ask for fewer. */
export const KEY_LOG_PAGE_MAX = 200;

/** The `prevHash` of a log's first entry (index 1), and the head hash of an empty log: 32 zero bytes, hex. */
export const KEY_LOG_GENESIS_HASH = '0'.repeat(64);

/** Prefix of the message a device signs with its MLS signature key to publish it (R20). */
export const MLS_KEY_SIGNING_PREFIX = 'parley-mls-key-v1:';

/** Domain-separation tag at the start of every hashed entry (R19). */
export const KEY_LOG_HASH_TAG = 'parley-key-log-v1';

/** SHA-256, lower-case hex. */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'sha-256 hex');

export const KeyLogKind = z.enum(['add', 'revoke']);
export type KeyLogKind = z.infer<typeof KeyLogKind>;

export const KeyLogEntry = z.object({
  /** 1, 2, 3… per user, without gaps. */
  index: z.number().int().positive(),
  kind: KeyLogKind,
  deviceId: Id,
  /** The device's raw Ed25519 MLS signature public key, base64, for `add`; null for `revoke`. */
  mlsSignatureKey: PublicKey.nullable(),
  /** Server time of the append, ms since the epoch. */
  at: z.number().int().nonnegative(),
  /** The previous entry's hash (KEY_LOG_GENESIS_HASH for index 1). */
  prevHash: Sha256Hex,
  /** SHA-256 of keyLogEntryBytes(userId, this entry), hex. */
  hash: Sha256Hex,
}).refine((e) => (e.kind === 'add') === (e.mlsSignatureKey !== null), 'an add entry carries a key, a revoke entry none');
export type KeyLogEntry = z.infer<typeof KeyLogEntry>;

/** The newest entry's index and hash; `{0, KEY_LOG_GENESIS_HASH}` for an empty log. */
export const KeyLogHead = z.object({ index: z.number().int().nonnegative(), hash: Sha256Hex });
export type KeyLogHead = z.infer<typeof KeyLogHead>;

/** POST /key-log — the calling device publishes its own MLS signature key, once (R20). */
export const PublishMlsKeyRequest = z.object({
  mlsSignatureKey: PublicKey,
  /** Ed25519 signature by that key over mlsKeySigningMessage(userId, deviceId), base64 (64 bytes). */
  signature: Base64.refine((s) => s.length === 88, 'ed25519 signature: 64 bytes base64'),
});
export type PublishMlsKeyRequest = z.infer<typeof PublishMlsKeyRequest>;

/** The `add` entry of the key (the existing one when the same key was published before). */
export const PublishMlsKeyResponse = z.object({ entry: KeyLogEntry });
export type PublishMlsKeyResponse = z.infer<typeof PublishMlsKeyResponse>;

/** GET /users/:userId/key-log?after=N&limit=M — query string. */
export const KeyLogQuery = z.object({
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(KEY_LOG_PAGE_MAX).default(KEY_LOG_PAGE_MAX),
});
export type KeyLogQuery = z.infer<typeof KeyLogQuery>;

/** Entries with index > after, ascending, at most `limit`; `head` is the whole log's newest entry. */
export const KeyLogResponse = z.object({ userId: Id, entries: z.array(KeyLogEntry), head: KeyLogHead });
export type KeyLogResponse = z.infer<typeof KeyLogResponse>;

/** What a device signs to publish its MLS key: UTF-8 of `parley-mls-key-v1:<userId>:<deviceId>` (ids never hold ':'). */
export function mlsKeySigningMessage(userId: string, deviceId: string): Uint8Array {
  return new TextEncoder().encode(`${MLS_KEY_SIGNING_PREFIX}${userId}:${deviceId}`);
}

/** The fields of an entry its hash covers (the hash itself aside), plus the log owner's user id. */
export interface KeyLogHashInput {
  userId: string;
  index: number;
  kind: KeyLogKind;
  deviceId: string;
  /** base64, or null for a revoke. */
  mlsSignatureKey: string | null;
  at: number;
  prevHash: string;
}

const KIND_BYTE: Record<KeyLogKind, number> = { add: 1, revoke: 2 };

/**
 * The canonical bytes an entry's hash is SHA-256 of (R19); shared by server and clients:
 *
 *   field("parley-key-log-v1") ‖ prevHash (32 raw bytes) ‖ index (u64) ‖ kind (u8: add 1, revoke 2)
 *   ‖ field(userId) ‖ field(deviceId) ‖ field(key: 32 raw bytes, empty for revoke) ‖ at (u64, ms)
 *
 * where field(x) = u32 length ‖ bytes (strings as UTF-8), and all integers are big-endian.
 */
export function keyLogEntryBytes(e: KeyLogHashInput): Uint8Array {
  const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
  const key = e.mlsSignatureKey === null ? new Uint8Array(0) : base64Bytes(e.mlsSignatureKey);
  const fields = [utf8(KEY_LOG_HASH_TAG), utf8(e.userId), utf8(e.deviceId), key];
  const size = fields.reduce((n, f) => n + 4 + f.length, 0) + 32 + 8 + 1 + 8;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  const field = (f: Uint8Array): void => {
    view.setUint32(at, f.length);
    out.set(f, at + 4);
    at += 4 + f.length;
  };
  const u64 = (n: number): void => {
    view.setBigUint64(at, BigInt(n));
    at += 8;
  };
  field(fields[0]!);
  out.set(hexBytes(e.prevHash), at);
  at += 32;
  u64(e.index);
  view.setUint8(at, KIND_BYTE[e.kind]);
  at += 1;
  field(fields[1]!);
  field(fields[2]!);
  field(fields[3]!);
  u64(e.at);
  return out;
}

function hexBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new RangeError('prevHash: 64 lower-case hex digits');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
