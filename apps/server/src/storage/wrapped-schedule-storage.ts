/**
 * Where scheduled posts sealed by an admin's device wait: R188's (wrapped channels, sealed under an epoch
 * key) or R191's (MLS-mode channels, sealed under the announcements chat's MLS exporter at `epoch`, the
 * chat's MLS epoch). The same columns, the same code; two tables so each sweep reads only its own.
 */
export type ScheduledTable = 'channel_wrapped_scheduled' | 'channel_mls_scheduled';

/** R192: where each table's posts hold their files' blobs (ON DELETE CASCADE with the post); R191's MLS-mode posts are text only. */
export const SCHEDULED_BLOBS: Record<ScheduledTable, string | undefined> = {
  channel_wrapped_scheduled: 'channel_wrapped_scheduled_blobs',
  channel_mls_scheduled: undefined,
};

/** R188: a wrapped channel's post sealed for later; the sweep appends it to the log at `publishAt`. */
export interface WrappedScheduledRow {
  communityId: string;
  scheduleId: string;
  epoch: number;
  authorId: string;
  authorDevice: string;
  body: string;
  publishAt: number;
  createdAt: number;
  /** R192: the files (R162's `blobs`, in order) the post carries; it holds a reference on them while it waits. Absent: none (always, in R191's table). */
  blobIds?: string[];
}

/**
 * R188: scheduled posts of wrapped channels, beside `ChannelWrapStorage` (same database; its
 * `appendPost` with `fromSchedule` deletes the row in the transaction that appends the post, so a
 * post is published once across nodes). SQLite and PostgreSQL implement it and pass one suite
 * (`wrapped-schedule-storage.suite.ts`).
 */
export interface WrappedScheduleStorage {
  /**
   * Writes a scheduled post, or replaces the one with its id (an edit, a re-seal); ParleyError('channel_limit')
   * when the channel already has `maxPerChannel` others, counted in the same transaction. R192: its
   * `blobIds` replace the blobs it holds; the row's deletion (cancel, drop, or `appendPost` publishing it)
   * releases them in its transaction.
   */
  putScheduled(row: WrappedScheduledRow, maxPerChannel: number): Promise<void>;
  getScheduled(communityId: string, scheduleId: string): Promise<WrappedScheduledRow | undefined>;
  /** The channel's scheduled posts, soonest first. */
  listScheduled(communityId: string): Promise<WrappedScheduledRow[]>;
  deleteScheduled(communityId: string, scheduleId: string): Promise<boolean>;
  /**
   * Scheduled posts of every channel whose time has come (`publishAt <= now`), soonest first, after
   * `after` in that order (a sweep pages past the stale ones it leaves).
   */
  listDue(now: number, limit: number, after?: { publishAt: number; communityId: string; scheduleId: string }): Promise<WrappedScheduledRow[]>;
}
