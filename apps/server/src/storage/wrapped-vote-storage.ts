/** R185: one poll's count of one vote token. */
export interface WrappedVoteCount {
  seq: number;
  token: string;
  count: number;
}

/**
 * R185: votes on a wrapped channel's polls, beside the posts of `ChannelWrapStorage` (same database):
 * a user's choice on a post is a set of tokens (HMACs of option indices the server can't read), one
 * row per (post, user, token). A deleted post's votes go with it (`WrappedResponseStorage.deletePost`).
 * SQLite and PostgreSQL implement it and pass one suite (`wrapped-vote-storage.suite.ts`).
 */
export interface WrappedVoteStorage {
  /** The user's whole choice on the post: these tokens replace theirs in one transaction; none takes it back. */
  setVotes(communityId: string, seq: number, userId: string, tokens: readonly string[]): Promise<void>;
  /** Votes per (post, token) of these posts, by seq then token. */
  voteCounts(communityId: string, seqs: readonly number[]): Promise<WrappedVoteCount[]>;
  /** How many users voted on each of these posts (0 for none). */
  voters(communityId: string, seqs: readonly number[]): Promise<Map<number, number>>;
  /** The user's tokens on each of these posts they voted on (sorted). */
  myVotes(communityId: string, userId: string, seqs: readonly number[]): Promise<Map<number, string[]>>;
  /** R178/R185: the user left the channel (or was removed, banned): their votes go. Returns how many rows. */
  dropVotes(communityId: string, userId: string): Promise<number>;
}
