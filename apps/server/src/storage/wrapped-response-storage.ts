import { WRAPPED_INFO_MARK, type ChannelWrappedPostRow } from './channel-wrap-storage.ts';

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
   * marked `e<seq>:`) become the deleted mark `d:`, and its reactions, view counters (R183) and votes (R185) go. R178: the blob references of
   * the post and its edits (R162's `blob_refs` rows: the announcements chat, the entry's author and seq)
   * go in the same transaction, so R56's sweep removes their files; a reference that a chat message of
   * the same sender at the same seq of that chat may have made is kept. The files no reference holds any
   * more are marked `RELEASED_AT` (swept next, never posted again). False when there was no such
   * post or it was deleted already.
   */
  deletePost(communityId: string, seq: number): Promise<boolean>;
  /** R178: the user left the channel (or was removed, banned): their reactions go, and the counts with them. Returns how many. */
  dropReactions(communityId: string, userId: string): Promise<number>;
  /**
   * R178: the newest entry that is a post (not info alone, not an edit, not deleted) and the newest
   * entry marked as its edit, if any: what a "last post" summary shows.
   */
  newestPost(communityId: string): Promise<{ post: ChannelWrappedPostRow; edit?: ChannelWrappedPostRow } | undefined>;
}

/** R167: the body marks (none is a base64 character, so no body starts with one by chance). */
export const DELETED_BODY = 'd:';
export const editMark = (seq: number) => `e${seq}:`;
/**
 * R184: a pin entry's body is kept after `p<seq>:` (the post it pins), or `p<seq>:-` when the caller said it
 * unpins (no base64 body starts with `-`); the sealed plaintext is what readers go by.
 */
export const pinMark = (seq: number, unpin = false) => `p${seq}:${unpin ? '-' : ''}`;
export const PIN_MARK = /^p(\d+):(-?)/;
/** R161/R167/R184: a stored body that is no post (info alone, an edit, a pin, a deleted post): not counted, reacted to or commented on. */
export const notAPostBody = (body: string) => body.startsWith(WRAPPED_INFO_MARK) || /^[ep]\d+:/.test(body) || body === DELETED_BODY;
