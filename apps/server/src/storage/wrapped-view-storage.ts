/**
 * R183: view counts of a wrapped channel's posts, as public channels' (R98): a number per (post, time
 * bucket), no record of who viewed. Beside `WrappedResponseStorage` (same database: a deletion there
 * drops the post's counters in its transaction). SQLite and PostgreSQL implement it and pass one suite
 * (`wrapped-view-storage.suite.ts`).
 */
export interface WrappedViewStorage {
  /**
   * One view more in the bucket for each seq that is a post (not info alone, not an edit, not deleted:
   * the others are passed over, not refused). Returns the seqs counted.
   */
  addViews(communityId: string, seqs: readonly number[], bucket: number): Promise<number[]>;
  /** Each post's views summed over its buckets (a post never viewed is absent). */
  viewCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>>;
}
