import type { WrappedChannelPost } from './wrapped.ts';

/** R184: a post pinned in a wrapped channel, as this device folds the pin entries it opened. */
export interface WrappedPinned {
  /** The pinned post's seq. */
  seq: number;
  /** Who pinned it (the pin entry's signer). */
  by: string;
  /** The pin entry's seq (the newest pin of the post) and its signed date. */
  at: number;
  date: number;
}

/**
 * R184: the pins of a wrapped channel from the entries a reader holds (`read`/`readPage`, the log from
 * its start: the web view reads it all), latest pinned first. Goes by each entry's **signed** plaintext
 * (`pin: {seq, on}`), never by the server's `pins` mark, in log order: `on` pins the post (again: it
 * becomes the latest), `off` unpins it. Counted only from entries that opened and verified (R142); when
 * `mayPin` is given, only from signers it accepts (an app that knows the channel's admins says who holds
 * `postAnnouncements`; without it, the server's check stands, as for posts). A pin shows only while its
 * post is in the list as a post: a deleted post is unpinned, and a post of an epoch this device can't
 * read, an edit, a pin or an entry that failed its checks is never shown as pinned. A pin entry this
 * device can't open (no key of its epoch) is not there: its pin or unpin is unknown here.
 */
export function foldWrappedPins(entries: readonly WrappedChannelPost[], opts: { mayPin?: (userId: string) => boolean } = {}): WrappedPinned[] {
  const posts = new Set(entries.flatMap((p) => (p.verified && p.edits === undefined && p.pin === undefined ? [p.seq] : [])));
  const pins = new Map<number, WrappedPinned>();
  for (const p of [...entries].sort((a, b) => a.seq - b.seq)) {
    if (!p.verified || !p.pin || p.pin.seq >= p.seq) continue; // a pin names an earlier entry
    if (opts.mayPin && !opts.mayPin(p.authorId)) continue;
    pins.delete(p.pin.seq);
    if (p.pin.on) pins.set(p.pin.seq, { seq: p.pin.seq, by: p.authorId, at: p.seq, date: p.date });
  }
  return [...pins.values()].filter((x) => posts.has(x.seq)).reverse();
}
