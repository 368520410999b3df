import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { ParleyClient } from '@parley/client';
import { ParleyError, wrappedPostOfRoot, wrappedPostRoot, type ChannelDiscussion } from '@parley/protocol';
import { useClientState } from '../state/use-client.ts';
import { CommentsButton, CommentsPanel } from './comments.tsx';

type Post = { seq: number; epoch: number };

/** Comments on wrapped posts whose marks this app has taken back since it started (so it does so once). */
const unmarked = new Set<string>();

/**
 * R177: comments on wrapped posts deleted outside the comments panel (in the discussion chat itself, or on
 * another device) by this person, or by them as a moderator: their marks go too. Resolves true when one went.
 */
async function unmarkDeleted(client: ParleyClient, communityId: string, chatId: string): Promise<boolean> {
  const gone = client.timeline(chatId).filter((i) => i.deleted && !unmarked.has(i.id) && wrappedPostOfRoot(i.threadRoot) !== undefined
    && (i.mine || i.deletedBy === client.userId));
  let any = false;
  for (const i of gone) {
    unmarked.add(i.id);
    try {
      any = (await client.wrappedChannels.commentDeleted(communityId, i.threadRoot, i.id)) || any;
    } catch (err) {
      console.warn('parley: taking back a deleted comment\'s mark failed', err);
    }
  }
  return any;
}

/** R177: this person's comments on a wrapped channel's posts whose marks this device has sent (kept, so each is sent once). */
function markedStore(communityId: string) {
  const key = `parley.wrapped-marked.${communityId}`;
  let ids: string[] = [];
  try {
    const got: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    if (Array.isArray(got)) ids = got.filter((x): x is string => typeof x === 'string');
  } catch { /* none kept */ }
  const set = new Set(ids);
  return {
    has: (id: string) => set.has(id),
    add: (id: string) => {
      set.add(id);
      try { localStorage.setItem(key, JSON.stringify([...set].slice(-500))); } catch { /* storage full: marked again next time (counted once) */ }
    },
  };
}

/**
 * R177: comments this person wrote on shown posts whose mark may not have reached the server (sent offline,
 * or from another device or an SDK that does not mark) are marked when the view shows them, once per
 * device: the server counts a mark once.
 */
async function markWritten(client: ParleyClient, communityId: string, chatId: string, shown: readonly Post[], marked: ReturnType<typeof markedStore>): Promise<boolean> {
  const epochs = new Map(shown.map((p) => [p.seq, p.epoch]));
  let any = false;
  for (const i of client.timeline(chatId)) {
    const seq = wrappedPostOfRoot(i.threadRoot);
    const epoch = seq === undefined ? undefined : epochs.get(seq);
    if (seq === undefined || epoch === undefined || !i.mine || i.deleted || i.seq === null || marked.has(i.id)) continue;
    try {
      await client.wrappedChannels.markComment(communityId, { seq, epoch }, i.id);
      marked.add(i.id);
      any = true;
    } catch (err) {
      // The server's answer (not in the discussion, a post gone) stands; a network failure is tried again next time.
      if (err instanceof ParleyError) marked.add(i.id);
      console.warn('parley: sending a comment\'s mark failed', err);
    }
  }
  return any;
}

/** How many comments on wrapped posts this device holds in the discussion chat (a change says: read the counts again). */
function heldComments(client: ParleyClient, chatId: string): number {
  return client.timeline(chatId).filter((i) => wrappedPostOfRoot(i.threadRoot) !== undefined && !i.deleted).length;
}

/**
 * R177: the comment counts of the wrapped posts shown, as the server counts the commenters' marks (a
 * subscriber outside the discussion chat reads them too). Read when the posts change, when the window
 * comes back into view, when this device's copy of the discussion chat gets or loses a comment, and
 * set from the answer to this device's own marks.
 */
export function useWrappedComments(client: ParleyClient, communityId: string, shown: readonly Post[], discussion: ChannelDiscussion | null | undefined) {
  const [counts, setCounts] = useState(new Map<number, number>());
  const key = shown.map((p) => p.seq).join(',');
  const seqs = useRef<number[]>([]);
  const shownRef = useRef(shown);
  shownRef.current = shown;
  const marked = useState(() => markedStore(communityId))[0];
  seqs.current = shown.slice(-100).map((p) => p.seq);
  // Only the newest read's answer is shown: an older one may have left before a mark was stored.
  const reads = useRef(0);
  const load = useCallback(async () => {
    if (!discussion || seqs.current.length === 0) return;
    const read = ++reads.current;
    try {
      const got = await client.wrappedChannels.commentCounts(communityId, seqs.current);
      if (read === reads.current) setCounts(got);
    } catch (err) {
      console.warn('parley: reading the wrapped channel\'s comment counts failed', err);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, communityId, key, discussion?.chatId]);
  useEffect(() => {
    void load();
    const sweep = () => { if (discussion) void unmarkDeleted(client, communityId, discussion.chatId).then((any) => { if (any) void load(); }); };
    // One pass at a time over this person's unmarked comments: at the start and on every change (a comment acknowledged, the network back).
    let marking = false;
    const markAll = () => {
      if (!discussion || marking) return;
      marking = true;
      void markWritten(client, communityId, discussion.chatId, shownRef.current, marked).then((any) => { marking = false; if (any) void load(); });
    };
    sweep();
    markAll();
    const onVisible = () => { if (document.visibilityState === 'visible') void load(); };
    document.addEventListener('visibilitychange', onVisible);
    let held = discussion ? heldComments(client, discussion.chatId) : 0;
    let again: ReturnType<typeof setTimeout> | undefined;
    const off = client.on('change', () => {
      if (!discussion) return;
      markAll();
      const now = heldComments(client, discussion.chatId);
      if (now !== held) {
        void load();
        sweep();
        // The comment may reach this device before its writer's mark reaches the server: read once more a little later.
        clearTimeout(again);
        again = setTimeout(() => void load(), 3000);
      }
      held = now;
    });
    return () => { document.removeEventListener('visibilitychange', onVisible); off(); clearTimeout(again); };
  }, [client, communityId, load, discussion]);
  const set = (seq: number) => (n: number) => {
    reads.current++; // a read already on its way may predate this mark
    setCounts((before) => new Map(before).set(seq, n));
  };
  const report = (what: string) => (err: unknown) => console.warn(`parley: ${what} a comment's mark failed`, err);
  return {
    counts,
    mark: (p: Post, id: string) => { client.wrappedChannels.markComment(communityId, p, id).then((n) => { marked.add(id); set(p.seq)(n); }).catch(report('sending')); },
  };
}

/** R177: "N comments" under a wrapped post (the server's count of marks), opening its thread. */
export function WrappedCommentsButton({ client, discussion, seq, count, onOpen }: { client: ParleyClient; discussion: ChannelDiscussion; seq: number; count: number; onOpen: () => void }) {
  return <CommentsButton client={client} discussion={discussion} postId={wrappedPostRoot(seq)} counted={count} onOpen={onOpen} />;
}

/**
 * R177: a wrapped post's comments: R114's panel on the thread whose root is `wrappedPostRoot(seq)` in the
 * discussion chat (join with one tap when not in it); a comment sent here is marked (one deleted, here or
 * anywhere, is unmarked by `useWrappedComments`).
 */
export function WrappedCommentsPanel({ client, communityId, discussion, post, shown, postText, comments, onClose }: {
  client: ParleyClient; communityId: string; discussion: ChannelDiscussion; post: Post; shown: ReactNode; postText: string;
  comments: ReturnType<typeof useWrappedComments>; onClose: () => void;
}) {
  useClientState(client); // the discussion chat appears after a join, comments arrive
  return (
    <CommentsPanel client={client} of={{ communityId }} discussion={discussion} postId={wrappedPostRoot(post.seq)} post={shown} postText={postText} onClose={onClose}
      onCommented={(id) => comments.mark(post, id)} />
  );
}
