import { ParleyError } from '@parley/protocol';
import type { ChannelWrapStorage } from '../../storage/channel-wrap-storage.ts';
import type { ChannelStorage } from '../../storage/channel-storage.ts';
import { notAPostBody, PIN_MARK } from '../../storage/wrapped-response-storage.ts';

/** Rows read per storage call while counting (pins are rare and admins' only: a walk of the posts, no index of its own). */
const PAGE = 1000;

export const pinLimit = (max: number) => new ParleyError('channel_pin_limit', `this channel has ${max} pinned posts (PARLEY_CHANNEL_MAX_PINS): unpin one first`);

/**
 * R96: the public channel's posts whose current version is pinned, other than `except` (the post being
 * changed), at most `max` of them (counting stops there). A walk of the channel's posts (one row each,
 * deleted ones left out): run only when a version pins a post that was not pinned.
 */
export async function publicPinned(channels: Pick<ChannelStorage, 'listPosts'>, channelId: string, except: string, max: number): Promise<number> {
  let n = 0;
  let before: number | undefined;
  for (;;) {
    const page = await channels.listPosts(channelId, { ...(before !== undefined ? { beforePostSeq: before } : {}), limit: PAGE, withDeleted: false });
    for (const p of page) {
      if (p.postId !== except && isPinned(p.signed) && ++n >= max) return n;
    }
    if (page.length < PAGE) return n;
    before = page[page.length - 1]!.postSeq;
  }
}

export function isPinned(signed: string): boolean {
  try {
    return (JSON.parse(signed) as { pinned?: unknown }).pinned === true;
  } catch {
    return false; // stored bytes were checked when stored
  }
}

/**
 * R184: the wrapped channel's pinned posts as the server's marks say (`p<seq>:` pins, `p<seq>:-` unpins:
 * the caller's plain word beside the sealed one), other than `except`: for each post that is still a
 * post, its newest pin entry pins it. A walk of the log (entries in seq order).
 */
export async function wrappedPinned(wraps: Pick<ChannelWrapStorage, 'listPosts'>, communityId: string, except: number): Promise<number> {
  const on = new Map<number, boolean>();
  const posts = new Set<number>();
  let after = 0;
  for (;;) {
    const page = await wraps.listPosts(communityId, after, PAGE);
    for (const row of page) {
      const pin = PIN_MARK.exec(row.body);
      if (pin) on.set(Number(pin[1]), pin[2] !== '-');
      else if (!notAPostBody(row.body)) posts.add(row.seq);
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  let n = 0;
  for (const [seq, pinned] of on) if (pinned && seq !== except && posts.has(seq)) n++;
  return n;
}
