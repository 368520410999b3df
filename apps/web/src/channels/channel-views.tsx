import { useCallback, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useChannelI18n } from './text.ts';
import { useReadNowAndOnView } from './read-on-view.ts';

/**
 * R190: a private channel in MLS mode (R112) tells the server which seqs of its chat this view shows (the
 * newest 100, as R98 and R183 do), each once per device run, and reads their counts: on opening, when a
 * post arrives and when the window comes back into view (counts are read, not pushed).
 */
export function usePrivateChannelViews(client: ParleyClient, communityId: string, shown: ReadonlyArray<{ seq: number | null }>): Map<number, number> {
  const [views, setViews] = useState(new Map<number, number>());
  const seqs = shown.flatMap((p) => (p.seq === null ? [] : [p.seq])).slice(-100).join(',');
  const load = useCallback(async () => {
    if (!seqs || !communityId) return;
    const list = seqs.split(',').map(Number);
    try {
      await client.channelViews.markViewed(communityId, list);
    } catch (err) {
      console.warn('parley: private channel views failed', err);
    }
    try {
      setViews(await client.channelViews.counts(communityId, list));
    } catch (err) {
      console.warn('parley: reading the private channel\'s view counts failed', err);
    }
  }, [client, communityId, seqs]);
  useReadNowAndOnView(load);
  return views;
}

/** R190: "N views" in a private channel's post's time line, beside "edited" and the time, as a public post's meta line shows it (device-runs that showed it, the server's count). */
export function PrivateViewCount({ views }: { views: number | undefined }) {
  const { t } = useChannelI18n();
  if (views === undefined) return null;
  return <><span data-testid="post-views">{t('chViews', { count: views })}</span><span aria-hidden="true">·</span></>;
}
