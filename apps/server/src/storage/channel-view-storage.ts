/**
 * R190: view counts of a private channel's posts in MLS mode (R112), as wrapped channels' (R183): a number
 * per (seq of the announcements chat's log, time bucket), no record of who viewed. SQLite and PostgreSQL
 * implement it and pass one suite (in `wrapped-view-storage.suite.ts`).
 */
export interface ChannelViewStorage {
  /**
   * One view more in the bucket for each seq that is an application message of `chatId` (the community's
   * announcements chat); system rows and seqs of no message are passed over, not refused. Returns the seqs counted.
   */
  addViews(communityId: string, chatId: string, seqs: readonly number[], bucket: number): Promise<number[]>;
  /** Each seq's views summed over its buckets (a seq never viewed is absent). */
  viewCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>>;
}
