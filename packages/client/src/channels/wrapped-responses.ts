import type { WrappedPostCounts } from '@parley/protocol';
import type { RestFn } from '../session.ts';
import type { WrappedChannelPost } from './wrapped.ts';

/**
 * R166: a reaction's token: the first 16 bytes (hex) of HMAC-SHA256 keyed by the post's epoch key over
 * `"parley-wrapped-reaction-v1\n" communityId "\n" seq "\n" emoji`. Only holders of the epoch key can
 * make or read one; it is per post, so equal emoji on two posts give unrelated tokens.
 */
export async function wrappedReactionToken(epochKey: Uint8Array, communityId: string, seq: number, emoji: string): Promise<string> {
  const key = await globalThis.crypto.subtle.importKey('raw', epochKey as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`parley-wrapped-reaction-v1\n${communityId}\n${seq}\n${emoji}`)));
  return [...mac.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** R166: one post's reactions as this device reads them: counts by emoji (of those it offered), its own, and the count of tokens it could not map. */
export interface WrappedReactions {
  seq: number;
  reactions: Record<string, number>;
  mine?: string;
  /** Reactions whose token matches none of the emoji asked about (another app's palette, or a token that means nothing). */
  other: number;
  /** R183: device-runs that showed the post (the server's counters; approximate, not people). */
  views: number;
}

type EpochKey = (epoch: number) => Promise<Uint8Array | undefined>;
const path = (communityId: string, rest: string) => `/communities/${encodeURIComponent(communityId)}${rest}`;

/** Maps the server's token counts back to emoji by computing each offered emoji's token for the post. */
async function mapCounts(communityId: string, post: { seq: number; epoch: number }, c: WrappedPostCounts, emojis: readonly string[], key: EpochKey): Promise<WrappedReactions> {
  const epochKey = await key(post.epoch);
  const byToken = new Map<string, string>();
  if (epochKey) for (const e of new Set(emojis)) byToken.set(await wrappedReactionToken(epochKey, communityId, post.seq, e), e);
  const out: WrappedReactions = { seq: post.seq, reactions: {}, other: 0, views: c.views ?? 0 }; // a server before R183 sends no views
  for (const [token, n] of Object.entries(c.reactions)) {
    const emoji = byToken.get(token);
    if (emoji === undefined) out.other += n;
    else out.reactions[emoji] = n;
  }
  const mine = c.mine === undefined ? undefined : byToken.get(c.mine);
  if (mine !== undefined) out.mine = mine;
  return out;
}

/** R166: this user's one reaction to a post (null takes it back); its counts after, mapped over `emojis` (the emoji itself included). */
export async function reactWrapped(rest: RestFn, key: EpochKey, communityId: string, post: { seq: number; epoch: number }, emoji: string | null, emojis: readonly string[]): Promise<WrappedReactions> {
  const route = path(communityId, `/wrapped-posts/${post.seq}/reaction`);
  let counts: WrappedPostCounts;
  if (emoji === null) ({ counts } = await rest<{ counts: WrappedPostCounts }>('DELETE', route));
  else {
    const epochKey = await key(post.epoch);
    if (!epochKey) throw new Error('this device holds no key of the post\'s epoch');
    ({ counts } = await rest<{ counts: WrappedPostCounts }>('PUT', route, { token: await wrappedReactionToken(epochKey, communityId, post.seq, emoji) }));
  }
  return mapCounts(communityId, post, counts, emoji === null ? emojis : [...emojis, emoji], key);
}

/** R166: the counts of these posts (100 a request), mapped over `emojis`. */
export async function wrappedCounts(rest: RestFn, key: EpochKey, communityId: string, posts: ReadonlyArray<{ seq: number; epoch: number }>, emojis: readonly string[]): Promise<WrappedReactions[]> {
  const out: WrappedReactions[] = [];
  for (let i = 0; i < posts.length; i += 100) {
    const page = posts.slice(i, i + 100);
    const { counts } = await rest<{ counts: WrappedPostCounts[] }>('GET', path(communityId, `/wrapped-posts/counts?seqs=${page.map((p) => p.seq).join(',')}`));
    for (const p of page) {
      const c = counts.find((x) => x.seq === p.seq);
      if (c) out.push(await mapCounts(communityId, p, c, emojis, key));
    }
  }
  return out;
}

/**
 * R167: the posts as a reader shows them: each edit entry (`edits` in its signed plaintext) replaces the
 * text and files of the post it names when that post is in the list (the newest by seq wins, `edited`
 * says so); edit entries themselves are not shown, nor edits of posts not in the list (deleted, or of an
 * epoch this device can't read). An edit naming an edit or a post that failed its checks changes nothing.
 * R178: an edit counts only when signed by the post's author (the same user, any of their devices); one
 * signed by another admin changes nothing and is not shown. R184: pin entries are not shown either (`foldWrappedPins`).
 */
export function foldWrappedEdits(posts: readonly WrappedChannelPost[]): WrappedChannelPost[] {
  const authors = new Map(posts.flatMap((p) => (p.verified && p.edits === undefined && p.pin === undefined ? [[p.seq, p.authorId] as const] : [])));
  const edits = new Map<number, Extract<WrappedChannelPost, { verified: true }>>();
  for (const p of posts) {
    if (p.verified && p.edits !== undefined && authors.get(p.edits) === p.authorId && (edits.get(p.edits)?.seq ?? 0) < p.seq) edits.set(p.edits, p);
  }
  const out: WrappedChannelPost[] = [];
  for (const p of posts) {
    if (p.verified && (p.edits !== undefined || p.pin !== undefined)) continue; // R184: a pin entry is no post either
    const e = p.verified ? edits.get(p.seq) : undefined;
    if (!p.verified || !e) {
      out.push(p);
      continue;
    }
    const { attachments: _old, ...rest } = p;
    out.push({ ...rest, text: e.text, ...(e.attachments ? { attachments: e.attachments } : {}), edited: e.date });
  }
  return out;
}
