/**
 * R177: comments on a wrapped channel's posts. A comment is a thread reply (R89) in the channel's
 * discussion chat (R114) whose root is `wrappedPostRoot(seq)`; its writer's device also sends a
 * **comment mark**, the first 16 bytes (hex) of HMAC-SHA256 keyed by the post's epoch key over
 * `"parley-wrapped-comment-v1\n" communityId "\n" seq "\n" commentId` (SDK `wrappedCommentMark`), so the
 * server counts comments per post for subscribers outside the discussion chat without learning which
 * message of that chat a mark stands for. The mark's and the count's schemas: channel-schemas.ts.
 */

/** R177: the thread root (R89's `thread`, a client message id's form) that names the wrapped post at `seq` in its channel's discussion chat. */
export const wrappedPostRoot = (seq: number): string => `wrapped-post-${seq}`;

/** R177: the seq a thread root names, when it names a wrapped post. */
export function wrappedPostOfRoot(root: string | undefined): number | undefined {
  const m = root === undefined ? null : /^wrapped-post-([1-9]\d{0,15})$/.exec(root);
  return m ? Number(m[1]) : undefined;
}
