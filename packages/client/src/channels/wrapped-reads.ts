import type { WrappedRead } from '@parley/protocol';
import type { RestFn } from '../session.ts';

const path = (communityId: string, rest: string) => `/communities/${encodeURIComponent(communityId)}${rest}`;

/** R182: every wrapped channel the user is a member of, with its unread count and mute (one request). */
export async function wrappedReads(rest: RestFn): Promise<WrappedRead[]> {
  return (await rest<{ reads: WrappedRead[] }>('GET', '/communities/wrapped-reads')).reads;
}

/** R182: the user's state in one wrapped channel. */
export async function wrappedRead(rest: RestFn, communityId: string): Promise<WrappedRead> {
  return (await rest<{ read: WrappedRead }>('GET', path(communityId, '/wrapped-read'))).read;
}

/** R182: read up to `upToSeq` (forward only, never past the log's end); the state after. */
export async function markWrappedRead(rest: RestFn, communityId: string, upToSeq: number): Promise<WrappedRead> {
  return (await rest<{ read: WrappedRead }>('POST', path(communityId, '/wrapped-read'), { upToSeq })).read;
}

/** R182: the user's own mute of the channel; the state after. */
export async function muteWrapped(rest: RestFn, communityId: string, muted: boolean): Promise<WrappedRead> {
  return (await rest<{ read: WrappedRead }>('PUT', path(communityId, '/wrapped-mute'), { muted })).read;
}
