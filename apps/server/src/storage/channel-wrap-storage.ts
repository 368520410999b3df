/**
 * R161: an entry of the channel's info alone is kept with this before its body (not a base64
 * character, so no body starts with it): the mark lives in the `body` column. R146 prunes by it.
 */
export const WRAPPED_INFO_MARK = 'i:';

/** R141: one epoch of a wrapped-mode private channel (its key never reaches the server). */
export interface ChannelEpochRow {
  communityId: string;
  epoch: number;
  createdBy: string;
  createdAt: number;
}

/** R141: the epoch key sealed to one subscriber device's key (opaque to the server, base64). */
export interface ChannelWrapRow {
  communityId: string;
  epoch: number;
  userId: string;
  deviceId: string;
  wrapped: string;
  /** The admin's device that sealed it. */
  wrappedBy: string;
}

/** R142: a post under an epoch key: AES-GCM ciphertext (base64) holding the admin's signed post. */
export interface ChannelWrappedPostRow {
  communityId: string;
  seq: number;
  epoch: number;
  authorId: string;
  authorDevice: string;
  body: string;
  createdAt: number;
}

/** A subscriber's device the current epoch is not wrapped for yet, with its key-log key (R20). */
export interface UnwrappedDeviceRow {
  userId: string;
  deviceId: string;
  mlsSignatureKey: string;
}

/**
 * Epochs, wraps and posts of private channels in wrapped mode (R141-R142). SQLite and PostgreSQL
 * implement it and pass one suite (`channel-wrap-storage.suite.ts`).
 */
export interface ChannelWrapStorage {
  /**
   * Adds `epoch` if it is the community's next one (1 first); false when another admin made it first.
   * R146: in the same transaction, the wraps of the epoch it supersedes go when that epoch holds no
   * post, only entries marked `WRAPPED_INFO_MARK` (or nothing): no device needs its key to read anything.
   */
  createEpoch(row: ChannelEpochRow): Promise<boolean>;
  currentEpoch(communityId: string): Promise<ChannelEpochRow | undefined>;
  /**
   * Stores a batch of wraps; a wrap already stored for (epoch, device) is kept (another admin's device
   * was first, R149). Returns the rows this call stored, in the batch's order. R172: in its own
   * transaction, holding the device and member rows against a concurrent revocation or removal, each
   * wrap must name a live device of its user (`device_not_found`) and a current member of the
   * community (`not_member`), else nothing of the batch is stored: a revocation either comes first (the
   * wrap is refused) or finds the wrap stored (and forces a new epoch, R146).
   */
  putWraps(rows: readonly ChannelWrapRow[]): Promise<ChannelWrapRow[]>;
  /**
   * Prunes the wraps of these devices in the community (a revoked device's, a removed member's: R146,
   * R142): no key of any epoch is kept for a device that can't ask for it any more. Returns how many went.
   */
  deleteWraps(communityId: string, deviceIds: readonly string[]): Promise<number>;
  /** One device's wraps with epoch > `afterEpoch`, ascending. */
  listWrapsForDevice(communityId: string, deviceId: string, afterEpoch: number, limit: number): Promise<ChannelWrapRow[]>;
  /**
   * The community members' live devices that published a key (R20) and hold no wrap of `epoch`,
   * ordered by user then device id, after the device `afterDeviceId` ('' from the start).
   */
  listUnwrapped(communityId: string, epoch: number, afterDeviceId: string, limit: number): Promise<UnwrappedDeviceRow[]>;
  /**
   * Appends a post at the community's next seq (1 first) and returns it. R162: with `refs`, in the same
   * transaction, records that the post (its author, its seq) references each blob from the chat `chatId`
   * (the channel's announcements chat, R55), as a chat message's `send` does (R54): the blobs are then
   * neither swept (R56) nor deletable; a blob gone meanwhile fails the append (nothing stored).
   * R146: a post under an epoch that is not the community's newest is refused (`channel_rekey_needed`)
   * in the same transaction, so no post lands in an epoch whose wraps `createEpoch` pruned.
   * R162 (idempotence): when a post of this author in this community already references `refs`' first
   * blob from that chat, nothing is appended: that post is returned, `repeated` (an SDK sending again a
   * post whose answer it never heard: the blob ids are fresh per post, so they name it).
   * R188: `fromSchedule` names the scheduled post (channel_wrapped_scheduled) this one publishes: it is
   * deleted in the same transaction, and when it is gone or holds another body (another node published
   * it, an admin cancelled or replaced it) nothing is appended (`not_found`).
   */
  appendPost(row: Omit<ChannelWrappedPostRow, 'seq'>, refs?: { chatId: string; blobIds: readonly string[] }, fromSchedule?: string): Promise<ChannelWrappedPostRow & { repeated?: true }>;
  listPosts(communityId: string, afterSeq: number, limit: number): Promise<ChannelWrappedPostRow[]>;
  /** R161: the community's newest post, if any. */
  latestPost(communityId: string): Promise<ChannelWrappedPostRow | undefined>;
  /** Records that a subscriber left or was removed at `at` (R142: the next post needs a newer epoch). */
  markRemoval(communityId: string, at: number): Promise<void>;
  lastRemovalAt(communityId: string): Promise<number | undefined>;
}
