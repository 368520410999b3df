/** R182: one member's read state of one wrapped channel. */
export interface WrappedReadRow {
  communityId: string;
  /** The last seq of the channel's log this member read. */
  readSeq: number;
  /** The log's end (its newest seq, 0 when empty) when this was read. */
  lastSeq: number;
  /** Posts after `readSeq` (not info alone, not edits, not deleted, not the member's own). */
  unread: number;
  muted: boolean;
}

/**
 * R182: a wrapped channel's read position and mute per member, beside the posts of `ChannelWrapStorage`
 * (same database). SQLite and PostgreSQL implement it and pass one suite (`wrapped-read-storage.suite.ts`).
 */
export interface WrappedReadStorage {
  /** The member came in: their position is the log's end (nothing unread), not muted unless they were. */
  start(communityId: string, userId: string): Promise<void>;
  /**
   * The member's state in each of these channels, in their order. A member with no position yet (one
   * from before R182, the owner, the members when a channel switched to wrapped mode) gets the log's end
   * first, as `start`.
   */
  reads(userId: string, communityIds: readonly string[]): Promise<WrappedReadRow[]>;
  /** Moves the position to `upToSeq`, forward only and never past the log's end. */
  markRead(communityId: string, userId: string, upToSeq: number): Promise<void>;
  setMuted(communityId: string, userId: string, muted: boolean): Promise<void>;
  /** The member left (or was removed): their state goes; one who comes back starts at the log's end. */
  forget(communityId: string, userId: string): Promise<void>;
}
