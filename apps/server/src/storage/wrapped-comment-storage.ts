/**
 * R177: comment marks on a wrapped channel's posts, beside the posts of `ChannelWrapStorage` (same
 * database): one row per (post, mark), kept with the user who sent it, so a post's comment count is
 * its number of marks. SQLite and PostgreSQL implement it and pass one suite
 * (`wrapped-comment-storage.suite.ts`).
 */
export interface WrappedCommentStorage {
  /** Stores the mark; false when that mark is already there for the post (whoever sent it): counted once. */
  addMark(communityId: string, seq: number, mark: string, userId: string, at: number): Promise<boolean>;
  /** The user who sent the mark, if it is there. */
  markOwner(communityId: string, seq: number, mark: string): Promise<string | undefined>;
  /** Removes the mark; false when it was not there. */
  removeMark(communityId: string, seq: number, mark: string): Promise<boolean>;
  /** The number of marks of each of these posts (0 for none), in the order asked. */
  commentCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>>;
}
