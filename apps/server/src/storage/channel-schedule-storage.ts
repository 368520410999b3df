/** R115: a post an admin signed for later; the server wraps it in the channel's log at `publishAt`. */
export interface ScheduledPostRow {
  channelId: string;
  postId: string;
  publishAt: number;
  authorId: string;
  signed: string;
  signature: string;
  createdAt: number;
}

/** R114: the discussion chat a channel links. */
export interface ChannelDiscussionRow {
  channelId: string;
  chatId: string;
  linkedBy: string;
  linkedAt: number;
  /** R154: where the linking admin's device stated `open` in the community's announcements chat, as it reported. */
  openSeq?: number;
}

/**
 * Scheduled posts (R115) and discussion links (R114) of channels, beside `ChannelStorage`. SQLite and
 * PostgreSQL implement it and pass one suite (`channel-schedule-storage.suite.ts`).
 */
export interface ChannelScheduleStorage {
  /**
   * Writes a scheduled post, or replaces the one with its id (an edit); ParleyError('channel_limit') when
   * the channel already has `maxPerChannel` others, counted in the same transaction. R192: `blobIds` (the
   * files its signed body names) become the blobs it holds a reference on, replacing the former ones;
   * `deleteScheduled` (cancel, publish, drop) releases them with the row.
   */
  putScheduled(row: ScheduledPostRow, maxPerChannel: number, blobIds?: readonly string[]): Promise<void>;
  getScheduled(channelId: string, postId: string): Promise<ScheduledPostRow | undefined>;
  /** The channel's scheduled posts, soonest first. */
  listScheduled(channelId: string): Promise<ScheduledPostRow[]>;
  deleteScheduled(channelId: string, postId: string): Promise<boolean>;
  /** Scheduled posts of every channel whose time has come (`publishAt <= now`), soonest first. */
  listDue(now: number, limit: number): Promise<ScheduledPostRow[]>;

  /** Links (or replaces) the channel's discussion chat; null unlinks. */
  setDiscussion(channelId: string, link: ChannelDiscussionRow | null): Promise<void>;
  getDiscussion(channelId: string): Promise<ChannelDiscussionRow | undefined>;
}
