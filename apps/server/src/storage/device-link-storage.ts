import type { DeviceRow } from './storage.ts';

/** A new device's request to join an account (R23-R26), as stored. */
export interface DeviceLinkRow {
  linkId: string;
  userId: string;
  deviceName: string;
  /** The new device's Ed25519 public key, base64: the device an approval adds signs in with it. */
  publicKey: string;
  /** sha256(linkId ':' code), hex. */
  codeHash: string;
  createdAt: number;
  expiresAt: number;
  /** Wrong codes typed so far. */
  attempts: number;
  /** Stored state; a `pending` row past `expiresAt` is expired (computed, never written). */
  status: 'pending' | 'approved' | 'denied' | 'locked';
  /** The device an approval added. */
  deviceId: string | null;
  closedAt: number | null;
  /** R43: a keyed hash of the account and where the request came from; null for links from before R43. */
  sourceKey: string | null;
  /** R43: what the account's devices are shown of where it came from (PARLEY_LINK_ORIGIN_HINT); null: nothing. */
  origin: string | null;
  /**
   * R43: when a newer request took this one's slot. The row keeps status `pending` and its `expiresAt`
   * becomes this time, so it can no longer be answered (and a node from before R43 reads it as expired).
   */
  displacedAt: number | null;
}

/**
 * Where pending device links live: in the database, because the request, the approval and the
 * polls of one link may each reach a different node of a cluster. SQLite and PostgreSQL implement
 * it and pass one suite (`device-link-storage.suite.ts`). Every write resolves after its commit.
 */
export interface DeviceLinkStorage {
  /**
   * Stores a new pending link, never refusing it (R43), in one transaction that first displaces
   * (`displacedAt` = `expiresAt` = `closedAt` = `now`) the user's open links (pending, expiring after
   * `now`) with the same non-null `sourceKey`, then, while the user still has `maxPending` or more open
   * links, the oldest of them. Returns the links it displaced, as they are afterwards.
   */
  createLink(link: DeviceLinkRow, maxPending: number, now: number): Promise<DeviceLinkRow[]>;
  getLink(linkId: string): Promise<DeviceLinkRow | undefined>;
  /** The user's pending links that expire after `now`, oldest first. */
  listPendingLinks(userId: string, now: number): Promise<DeviceLinkRow[]>;
  /**
   * Counts one wrong code on a pending link; the attempt that reaches `maxAttempts` locks it.
   * Returns the row after the change, or the unchanged row if it was not pending.
   */
  recordWrongCode(linkId: string, maxAttempts: number, now: number): Promise<DeviceLinkRow | undefined>;
  /**
   * If the link is pending and expires after `now`: adds `device` and marks the link approved with
   * it, in one transaction. Otherwise changes nothing. Returns the row as it is afterwards.
   */
  approveLink(linkId: string, device: DeviceRow, now: number): Promise<DeviceLinkRow | undefined>;
  /** If the link is pending and expires after `now`, marks it denied. Returns the row afterwards. */
  denyLink(linkId: string, now: number): Promise<DeviceLinkRow | undefined>;
  /** Deletes links whose expiry is before `before` (whatever became of them); returns how many. */
  deleteLinksBefore(before: number): Promise<number>;
}
