/** R185: one poll's count of one vote token. */
export interface WrappedVoteCount {
  seq: number;
  token: string;
  count: number;
}

/**
 * R185: votes on a wrapped channel's polls, beside the posts of `ChannelWrapStorage` (same database):
 * a user's choice on a post is a set of tokens (HMACs of option indices the server can't read), one
 * row per (post, user, token), and a count per (post, token) changed in the same transaction (the
 * voters under `VOTERS`). A deleted post's votes go with it (`WrappedResponseStorage.deletePost`).
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

/**
 * The tables one vote store reads and writes: R185's wrapped polls (keyed by community) or R198's public
 * polls (keyed by channel, `seq` the poll's `postSeq`, a token the option's index in decimal). Both keep
 * the same rows, so one implementation per database serves both (and one suite proves both).
 */
export interface VoteTables {
  votes: string;
  counts: string;
  /** The column naming whose poll it is. */
  owner: string;
}
export const WRAPPED_VOTE_TABLES: VoteTables = { votes: 'channel_wrapped_votes', counts: 'channel_wrapped_vote_counts', owner: 'community_id' };
export const CHANNEL_VOTE_TABLES: VoteTables = { votes: 'channel_votes', counts: 'channel_vote_counts', owner: 'channel_id' };

/** R185: the count row that holds a poll's number of voters (no vote token is empty). */
export const VOTERS = '';

/** R185: the count rows a change of one user's choice from `old` to `now` lowers and raises (the voters' row when they start or stop voting). */
export function countChanges(old: readonly string[], now: readonly string[]): { drop: string[]; add: string[] } {
  const was = new Set(old.length > 0 ? [VOTERS, ...old] : []);
  const is = new Set(now.length > 0 ? [VOTERS, ...now] : []);
  return { drop: [...was].filter((t) => !is.has(t)), add: [...is].filter((t) => !was.has(t)) };
}
