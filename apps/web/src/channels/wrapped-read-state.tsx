import { useEffect, useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { wrappedReadsChanged } from './wrapped-rows.tsx';

/**
 * R182, the wrapped view: the posts shown are read (the read position moves to the newest entry shown,
 * while the page is in view), and the person's own mute. Each move tells the chat list (this tab) to
 * read the counts again.
 */
export function useWrappedReadState(client: ParleyClient, communityId: string, newest: number | undefined) {
  const [muted, setMuted] = useState<boolean>();
  const marked = useRef(0);
  useEffect(() => {
    let live = true;
    marked.current = 0;
    client.wrappedChannels.readState(communityId)
      .then((r) => { if (live) { marked.current = Math.max(marked.current, r.readSeq); setMuted(r.muted); } })
      .catch((err: unknown) => console.warn('parley: reading the wrapped channel\'s read state failed', err));
    return () => { live = false; };
  }, [client, communityId]);
  useEffect(() => {
    const mark = () => {
      if (newest === undefined || newest <= marked.current || document.visibilityState !== 'visible') return;
      marked.current = newest;
      client.wrappedChannels.markRead(communityId, newest)
        .then(() => wrappedReadsChanged(communityId), (err: unknown) => console.warn('parley: marking the wrapped channel read failed', err));
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [client, communityId, newest]);
  const toggleMute = async () => {
    const r = await client.wrappedChannels.setMuted(communityId, !muted);
    setMuted(r.muted);
    wrappedReadsChanged(communityId);
  };
  return { muted, toggleMute };
}
