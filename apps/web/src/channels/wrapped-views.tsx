import { useEffect } from 'react';
import type { ParleyClient } from '@parley/client';
import { useChannelI18n } from './text.ts';

/**
 * R183: tells the server which posts this view shows (the newest 100, as public channels do, R98), each
 * once per device run: the SDK remembers and the server only adds to counters, naming no one.
 */
export function useWrappedViews(client: ParleyClient, communityId: string, shown: ReadonlyArray<{ seq: number }>): void {
  const seqs = shown.slice(-100).map((p) => p.seq).join(',');
  useEffect(() => {
    if (!seqs) return;
    client.wrappedChannels.markViewed(communityId, seqs.split(',').map(Number)).catch((err: unknown) => console.warn('parley: wrapped views failed', err));
  }, [client, communityId, seqs]);
}

/** R183: "N views" in a wrapped post's meta line, as a public post shows it (device-runs that showed it, the server's count). */
export function WrappedViewCount({ views }: { views: number | undefined }) {
  const { t } = useChannelI18n();
  if (views === undefined) return null;
  return <> · <span data-testid="post-views">{t('chViews', { count: views })}</span></>;
}
