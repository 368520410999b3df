export interface ChannelRow {
  channelId: string;
  handle: string;
  title: string;
  description: string;
  ownerId: string;
  createdAt: number;
  lastSeq: number;
  subscriberCount: number;
  /** R95b: the owner-signed admin key list, kept as signed. */
  keyListVersion: number;
  keyList: string;
  keyListSig: string;
  /** R125: the newest signed log head (absent until an admin's device signed one). */
  head?: { seq: number; signed: string; signature: string };
}

export interface ChannelAdminRow {
  channelId: string;
  userId: string;
  role: 'owner' | 'admin';
  /** The post-signing key the admin's device registered (R95b); null until it has. */
  publicKey: string | null;
  addedAt: number;
}

/** R96: a post's latest version: the signed bytes, and what the server read from them to index them. */
export interface ChannelPostRow {
  channelId: string;
  postId: string;
  postSeq: number;
  seq: number;
  version: number;
  authorId: string;
  deleted: boolean;
  signed: string;
  signature: string;
}

/** R110: a file the current version of a post names, and the media type its signed body gives. */
export interface ChannelMediaRow {
  blobId: string;
  mime: string;
}

export interface ChannelSubscriptionRow {
  channelId: string;
  userId: string;
  readSeq: number;
  muted: boolean;
  subscribedAt: number;
}

/**
 * Where public channels live (R95-R99). SQLite and PostgreSQL implement it and pass one suite
 * (`channel-storage.suite.ts`). Every write resolves after its commit.
 */
export interface ChannelStorage {
  /** The channel and its owner as first admin; ParleyError('handle_taken') when another channel has the handle. */
  createChannel(channel: ChannelRow, owner: ChannelAdminRow): Promise<void>;
  getChannel(channelId: string): Promise<ChannelRow | undefined>;
  getChannelByHandle(handle: string): Promise<ChannelRow | undefined>;
  /** R95b: replaces the key list only when `version` is the stored one plus one (false: nothing written). */
  setKeyList(channelId: string, version: number, keyList: string, signature: string): Promise<boolean>;
  /** R125: stores a signed log head only when `seq` is at least the stored head's and at most the log's end (false: nothing written). */
  setHead(channelId: string, seq: number, signed: string, signature: string): Promise<boolean>;

  getAdmin(channelId: string, userId: string): Promise<ChannelAdminRow | undefined>;
  /** Owner first, then oldest first. */
  listAdmins(channelId: string): Promise<ChannelAdminRow[]>;
  /** Adds an admin (no key yet); false when they are one already; ParleyError('channel_limit') at `maxAdmins`, checked in the same transaction. */
  addAdmin(admin: ChannelAdminRow, maxAdmins: number): Promise<boolean>;
  setAdminKey(channelId: string, userId: string, publicKey: string): Promise<boolean>;
  removeAdmin(channelId: string, userId: string): Promise<boolean>;
  /**
   * R200: the admin rows of `userId` whose key is not registered yet (invitations), at most `limit`, oldest first.
   * A scan of channel_admins by user (its key starts with the channel): the table holds at most
   * PARLEY_CHANNEL_MAX_ADMINS rows a channel.
   */
  pendingAdminOf(userId: string, limit: number): Promise<ChannelAdminRow[]>;

  /**
   * R96: writes one post version at `post.seq` in one transaction, only if `post.seq` is the
   * channel's last seq plus one and (for a version above 1) the stored post is at `version - 1`.
   * The channel's last seq becomes `post.seq`. `{ lastSeq }` (nothing written) when the seq is taken;
   * `'version'` when the version is not the next one (or version 1 of a post that exists).
   * With `media`, the post's media rows become these (R110).
   */
  putPost(post: ChannelPostRow, media?: readonly ChannelMediaRow[]): Promise<'ok' | 'version' | { lastSeq: number }>;
  /** R110: the blobs the post's current version names (set by `putPost`, in its transaction: `media` replaces them). */
  postMedia(channelId: string, postId: string): Promise<ChannelMediaRow[]>;
  /** R110: a complete blob some post of the channel names, with its type and length; undefined otherwise. */
  getMedia(channelId: string, blobId: string): Promise<(ChannelMediaRow & { length: number }) | undefined>;
  /** R111: channels whose handle or title (case-folded) starts with `prefix`, most subscribers first. */
  searchChannels(prefix: string, opts: { offset: number; limit: number }): Promise<ChannelRow[]>;
  getPost(channelId: string, postId: string): Promise<ChannelPostRow | undefined>;
  /** Posts whose latest version is after `afterSeq`, by seq ascending (the log a subscriber catches up on). */
  listLog(channelId: string, afterSeq: number, limit: number): Promise<ChannelPostRow[]>;
  /** Newest first by `postSeq`, before `beforePostSeq` if given; deleted ones only with `withDeleted`. */
  listPosts(channelId: string, opts: { beforePostSeq?: number; limit: number; withDeleted: boolean }): Promise<ChannelPostRow[]>;

  /** R97: false when already subscribed; ParleyError('channel_limit') when the user has `maxPerUser` already. */
  subscribe(sub: ChannelSubscriptionRow, maxPerUser: number): Promise<boolean>;
  unsubscribe(channelId: string, userId: string): Promise<boolean>;
  getSubscription(channelId: string, userId: string): Promise<ChannelSubscriptionRow | undefined>;
  setMuted(channelId: string, userId: string, muted: boolean): Promise<boolean>;
  /** Moves the read position forward only (a lower one is ignored). */
  setReadSeq(channelId: string, userId: string, upToSeq: number): Promise<void>;
  /** The user's subscriptions, oldest first. */
  listSubscriptions(userId: string): Promise<ChannelSubscriptionRow[]>;
  /** R97: posts first posted after `readSeq` and not deleted. */
  countUnread(channelId: string, readSeq: number): Promise<number>;

  /** R98: the user's reaction to a post (null: none any more). */
  setReaction(channelId: string, postId: string, userId: string, emoji: string | null): Promise<void>;
  /** Per post, per emoji, how many. */
  reactionCounts(channelId: string, postIds: readonly string[]): Promise<Array<{ postId: string; emoji: string; count: number }>>;
  myReactions(channelId: string, userId: string, postIds: readonly string[]): Promise<Map<string, string>>;
  /** R98: adds one view to each post's counter for the bucket (no record of whose). */
  addViews(channelId: string, postIds: readonly string[], bucket: number): Promise<void>;
  /** Per post, all buckets summed. */
  viewCounts(channelId: string, postIds: readonly string[]): Promise<Map<string, number>>;
}
