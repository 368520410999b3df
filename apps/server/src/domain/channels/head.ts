import { CHANNEL_HEAD_CONTEXT, ChannelHeadBody, ChannelPostBody, ParleyError, type SignedBlob } from '@parley/protocol';
import type { ChannelPostRow } from '../../storage/channel-storage.ts';
import { verifies } from './signed.ts';

const invalid = (why: string) => new ParleyError('channel_post_invalid', why);

/**
 * R125: a log head as an admin's device signed it, checked for this channel: the schema, the signature
 * by the key it names, a date near the server's clock. The caller checks that key is the caller's and listed.
 */
export function openHead(blob: SignedBlob, channelId: string, now: number, maxSkewMs: number): ChannelHeadBody {
  let parsed: ReturnType<typeof ChannelHeadBody.safeParse>;
  try {
    parsed = ChannelHeadBody.safeParse(JSON.parse(blob.signed));
  } catch {
    throw invalid('head: the signed text is not JSON');
  }
  if (!parsed.success) throw invalid(`head: ${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const head = parsed.data;
  if (!verifies(head.signer, CHANNEL_HEAD_CONTEXT, blob.signed, blob.signature)) throw new ParleyError('channel_signature_invalid', 'the head is not signed by the key it names');
  if (head.channelId !== channelId) throw invalid('head: signed for another channel');
  if (Math.abs(head.date - now) > maxSkewMs) throw invalid(`head: date is more than ${Math.round(maxSkewMs / 1000)} s from the server's clock`);
  return head;
}

/**
 * R125: a post version names the positions of all its earlier versions (`replaces`), so readers can
 * tell a position an edit left from one the server withheld. Version 1 names none; version n names
 * what version n-1 named plus version n-1's own seq.
 */
export function checkReplaces(body: ChannelPostBody, previous: ChannelPostRow | undefined): void {
  if (body.version === 1) {
    if (body.replaces?.length) throw invalid('post: a first version replaces nothing');
    return;
  }
  if (!previous) return; // storage answers 'version' for a missing earlier version
  // A version signed before R125 names none: its post's first position stands for what it replaced.
  let earlier: number[] = [previous.postSeq];
  try {
    earlier = (JSON.parse(previous.signed) as { replaces?: number[] }).replaces ?? earlier;
  } catch {
    // the stored bytes were checked when stored
  }
  const expected = previous.version === 1 ? [previous.seq] : [...earlier, previous.seq];
  const got = body.replaces ?? [];
  if (got.length !== expected.length || got.some((s, i) => s !== expected[i])) {
    throw invalid(`post: replaces must name the earlier versions' positions [${expected.join(', ')}]`);
  }
}
