import { useEffect, useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Community, WrappedChannelInfo, WrappedRead } from '@parley/protocol';
import { Icon } from '../components/icons.tsx';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { wrappedTitle } from '../communities/community-list.ts';
import { coalesce } from './coalesce.ts';

/** R182: how long a row waits after a post's notice before reading its preview again (plus up to PREVIEW_SPREAD_MS at random). */
const PREVIEW_DELAY_MS = 2000;
const PREVIEW_SPREAD_MS = 3000;

/** R141: the rows of the wrapped channels this person has no chat of (channel-rows.tsx picks them). */
export function WrappedRows({ client, activeId, wrapped }: { client: ParleyClient; activeId: string | undefined; wrapped: readonly Community[] }) {
  const reads = useWrappedReads(client, wrapped.length > 0); // R182
  return <>{wrapped.map((c) => <WrappedRow key={c.communityId} client={client} community={c} active={c.communityId === activeId} read={reads.get(c.communityId)} />)}</>;
}

/**
 * R161: the channel's name as the log's newest entry carries it, opened on this device (one read, not
 * the log); read again when the name may have changed or become readable: an entry of info alone (a
 * rename, a new epoch), new keys for this device, or any post while no name is known here. Not on every
 * post: with many subscribers online that would be a read per device per post. R182: the newest post's
 * text comes with the same read (R178's `latest().post`); a post's notice (a new post, an edit, a
 * deletion) reads it again too, once per burst: 2-5 s after the burst's first notice (the spread keeps a
 * channel's online members from all asking at once), so the preview follows the count.
 */
function useWrappedInfo(client: ParleyClient, communityId: string): { info: WrappedChannelInfo | undefined; preview: string | undefined } {
  const [info, setInfo] = useState<WrappedChannelInfo>();
  const [preview, setPreview] = useState<string>();
  const known = useRef(false);
  useEffect(() => {
    let live = true;
    const look = () => client.wrappedChannels.latest(communityId)
      .then((latest) => {
        if (live && latest.post?.verified && latest.post.text) setPreview(latest.post.text);
        if (live && latest.info) { known.current = true; setInfo(latest.info); }
      })
      .catch((err: unknown) => console.warn('parley: reading the wrapped channel\'s name failed', err));
    void look();
    const fresh = coalesce(() => void look(), PREVIEW_DELAY_MS + Math.random() * PREVIEW_SPREAD_MS);
    const off = client.on('wrappedPost', (e) => {
      if (e.communityId !== communityId) return;
      if (e.seq === undefined || e.info || !known.current) void look();
      else fresh.trigger(); // R182: the preview follows the posts, one read per burst
    });
    const onVisible = () => { if (document.visibilityState === 'visible') void look(); };
    document.addEventListener('visibilitychange', onVisible);
    const offLocal = onWrappedReadsChanged((id) => { if (id === communityId) void look(); });
    return () => { live = false; off(); offLocal(); fresh.cancel(); document.removeEventListener('visibilitychange', onVisible); };
  }, [client, communityId]);
  return { info, preview };
}

function WrappedRow({ client, community, active, read }: { client: ParleyClient; community: Community; active: boolean; read: WrappedRead | undefined }) {
  const { t } = useI18n();
  const { info, preview } = useWrappedInfo(client, community.communityId);
  const muted = read?.muted === true;
  const unread = read?.unread ?? 0;
  return (
    <li>
      <button className={`chat-row${active ? ' active' : ''}`} data-testid="wrapped-channel-row" aria-current={active ? 'page' : undefined}
        onClick={() => go(`/private/${community.communityId}`)}>
        <span className="avatar community-avatar" style={{ width: 40, height: 40 }} aria-hidden="true"><Icon name="megaphone" /></span>
        <span className="chat-text">
          <span className="chat-line">
            <span className="chat-title">{wrappedTitle(t, client, community, info)}</span>
            {muted && <span className="chat-muted" title={t('muted')} data-testid="channel-muted"><Icon name="muted" size={14} /><span className="sr-only">{t('muted')}</span></span>}
          </span>
          <span className="chat-line">
            <span className="chat-preview">{preview ?? t('chWrappedRowHint')}</span>
            {unread > 0 && <span className={`badge${muted ? ' quiet' : ''}`} data-testid="channel-unread" aria-label={t('unreadCount', { count: unread })}>{unread}</span>}
          </span>
        </span>
      </button>
    </li>
  );
}

/** This tab's own reads and mutes in a wrapped view tell the chat list to read the counts again. */
const local = new EventTarget();
export function wrappedReadsChanged(communityId: string): void {
  local.dispatchEvent(new CustomEvent('changed', { detail: communityId }));
}
/** Calls `fn` with the channel after this tab's own reads and mutes in a wrapped view; returns the unsubscribe. */
export function onWrappedReadsChanged(fn: (communityId: string) => void): () => void {
  const listener = (e: Event) => fn(String((e as CustomEvent).detail));
  local.addEventListener('changed', listener);
  return () => local.removeEventListener('changed', listener);
}

/**
 * R182: the unread count and mute of every wrapped channel of this person, for the chat list's rows:
 * one request at start, after this tab's own reads, a deletion or coming back into view; a new post's
 * notice (R148) adds one without a request (not an entry of info alone, an edit or a deletion: R161,
 * R167), so a post costs the server no read per online member.
 */
export function useWrappedReads(client: ParleyClient, enabled: boolean): ReadonlyMap<string, WrappedRead> {
  const [reads, setReads] = useState<ReadonlyMap<string, WrappedRead>>(new Map());
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let asked = 0;
    const load = () => {
      const mine = ++asked;
      client.wrappedChannels.reads()
        .then((got) => { if (live && mine === asked) setReads(new Map(got.map((r) => [r.communityId, r]))); })
        .catch((err: unknown) => console.warn('parley: reading the wrapped channels\' unread counts failed', err));
    };
    load();
    const offPost = client.on('wrappedPost', (e) => {
      if (e.deleted) return load();
      const seq = e.seq;
      if (seq === undefined || e.info || e.edit) return;
      setReads((before) => {
        const r = before.get(e.communityId);
        return !r || seq <= r.lastSeq ? before : new Map(before).set(e.communityId, { ...r, lastSeq: seq, unread: r.unread + 1 });
      });
    });
    const onVisible = () => { if (document.visibilityState === 'visible') load(); };
    const offLocal = onWrappedReadsChanged(() => load());
    document.addEventListener('visibilitychange', onVisible);
    return () => { live = false; offPost(); offLocal(); document.removeEventListener('visibilitychange', onVisible); };
  }, [client, enabled]);
  return reads;
}
