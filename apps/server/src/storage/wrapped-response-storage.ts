/** R166: one post's count of one reaction token. */
export interface WrappedReactionCount {
  seq: number;
  token: string;
  count: number;
}

/**
 * R166-R167: reactions to a wrapped channel's posts and admins' deletions of them, beside the posts
 * of `ChannelWrapStorage` (same database). SQLite and PostgreSQL implement it and pass one suite
 * (`wrapped-response-storage.suite.ts`).
 */
export interface WrappedResponseStorage {
  /** The stored body of the post at `seq` (with R161/R167's marks), if there is one. */
  postBody(communityId: string, seq: number): Promise<string | undefined>;
  /** The user's one reaction to the post: a token replaces theirs, null takes it back. */
  setReaction(communityId: string, seq: number, userId: string, token: string | null): Promise<void>;
  reactionCounts(communityId: string, seqs: readonly number[]): Promise<WrappedReactionCount[]>;
  myReactions(communityId: string, userId: string, seqs: readonly number[]): Promise<Map<number, string>>;
  /**
   * R167: an admin deleted the post at `seq` for everyone: its body and those of its edits (bodies
   * marked `e<seq>:`) become the deleted mark `d:`, and its reactions go. False when there was no such
   * post or it was deleted already.
   */
  deletePost(communityId: string, seq: number): Promise<boolean>;
}

/** R167: the body marks (none is a base64 character, so no body starts with one by chance). */
export const DELETED_BODY = 'd:';
export const editMark = (seq: number) => `e${seq}:`;
