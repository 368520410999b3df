import { ParleyError, wrappedPostOfRoot, type WrappedPost } from '@parley/protocol';
import type { WrappedCommentCount } from '@parley/protocol/channel-schemas';
import type { RestFn } from '../session.ts';

/**
 * R177: a comment's mark: the first 16 bytes (hex) of HMAC-SHA256 keyed by the post's epoch key over
 * `"parley-wrapped-comment-v1\n" communityId "\n" seq "\n" commentId` (the comment's client message id in
 * the discussion chat). The server counts marks per post; without the epoch key it can't tell which
 * comment a mark stands for, and the same comment id gives unrelated marks on two posts.
 */
export async function wrappedCommentMark(epochKey: Uint8Array, communityId: string, seq: number, commentId: string): Promise<string> {
  const key = await globalThis.crypto.subtle.importKey('raw', epochKey as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`parley-wrapped-comment-v1\n${communityId}\n${seq}\n${commentId}`)));
  return [...mac.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

type EpochKey = (epoch: number) => Promise<Uint8Array | undefined>;
const path = (communityId: string, rest: string) => `/communities/${encodeURIComponent(communityId)}${rest}`;

async function markPath(key: EpochKey, communityId: string, post: { seq: number; epoch: number }, commentId: string): Promise<string> {
  const epochKey = await key(post.epoch);
  if (!epochKey) throw new Error('this device holds no key of the post\'s epoch');
  return path(communityId, `/wrapped-posts/${post.seq}/comments/${await wrappedCommentMark(epochKey, communityId, post.seq, commentId)}`);
}

/** R177: counts the comment `commentId` (sent in the discussion chat, its thread root `wrappedPostRoot(seq)`) under the post; the post's count after. */
export async function markWrappedComment(rest: RestFn, key: EpochKey, communityId: string, post: { seq: number; epoch: number }, commentId: string): Promise<number> {
  return (await rest<{ count: WrappedCommentCount }>('PUT', await markPath(key, communityId, post, commentId))).count.comments;
}

/** R177: a deleted comment stops counting (its sender, or a holder of `deleteMessages`); the post's count after. */
export async function unmarkWrappedComment(rest: RestFn, key: EpochKey, communityId: string, post: { seq: number; epoch: number }, commentId: string): Promise<number> {
  return (await rest<{ count: WrappedCommentCount }>('DELETE', await markPath(key, communityId, post, commentId))).count.comments;
}

/** R177: the comment counts of these posts by seq (100 a request), the server's word. */
export async function wrappedCommentCounts(rest: RestFn, communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let i = 0; i < seqs.length; i += 100) {
    const page = seqs.slice(i, i + 100);
    const { counts } = await rest<{ counts: WrappedCommentCount[] }>('GET', path(communityId, `/wrapped-posts/comment-counts?seqs=${page.join(',')}`));
    for (const c of counts) out.set(c.seq, c.comments);
  }
  return out;
}

/**
 * R177: a comment deleted wherever it was deleted (the discussion chat itself, a report): when its thread
 * root names a wrapped post, its mark goes too (the post's epoch read from the log). False when there was
 * nothing to take back (not a wrapped post's comment, no such mark, not a wrapped channel).
 */
export async function unmarkDeletedComment(rest: RestFn, key: EpochKey, communityId: string, threadRoot: string | undefined, commentId: string): Promise<boolean> {
  const seq = wrappedPostOfRoot(threadRoot);
  if (seq === undefined) return false;
  try {
    const { posts } = await rest<{ posts: WrappedPost[] }>('GET', path(communityId, `/wrapped-posts?after=${seq - 1}`));
    const post = posts.find((p) => p.seq === seq);
    if (!post) return false;
    await unmarkWrappedComment(rest, key, communityId, { seq, epoch: post.epoch }, commentId);
    return true;
  } catch (err) {
    if (err instanceof ParleyError && (err.code === 'not_found' || err.code === 'channel_not_wrapped')) return false;
    throw err;
  }
}
