import { ParleyError } from '@parley/protocol';
import type { ChannelWrapStorage } from '../../storage/channel-wrap-storage.ts';
import { notAPostBody, pinMark } from '../../storage/wrapped-response-storage.ts';
import { pinLimit, wrappedPinned } from './pin-limit.ts';

/**
 * R184: a pin entry of a wrapped channel. Like an edit (R167) it is a sealed, signed entry of the log
 * whose plaintext says what it does (`pin: {seq, on}`); the server learns which post it names and (the
 * request's plain `unpin`) whether it unpins, so it counts the entry as no post (R178's last post, R177's
 * comments, R166's reactions, unread counts), refuses a pin of a post that is not there (none, info alone,
 * an edit, a pin, deleted): `not_found`, and a pin past `maxPins` posts pinned: `channel_pin_limit`.
 * Returns the body as stored, marked `p<seq>:` (or `p<seq>:-`: an unpin).
 */
export async function pinBody(wraps: Pick<ChannelWrapStorage, 'listPosts'>, communityId: string, seq: number, body: string, unpin: boolean, maxPins: number): Promise<string> {
  const target = (await wraps.listPosts(communityId, seq - 1, 1))[0];
  if (!target || target.seq !== seq || notAPostBody(target.body)) throw new ParleyError('not_found', `no post ${seq} to pin`);
  if (!unpin && (await wrappedPinned(wraps, communityId, seq)) >= maxPins) throw pinLimit(maxPins);
  return `${pinMark(seq, unpin)}${body}`;
}
