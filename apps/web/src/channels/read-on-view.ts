import { useEffect } from 'react';

/**
 * Counts the server keeps for a channel's posts (reactions, votes, views) are read, not pushed: `load`
 * runs now (and again whenever it changes, as its posts do) and each time the window comes back into view.
 */
export function useReadNowAndOnView(load: () => Promise<void>): void {
  useEffect(() => {
    void load();
    const onVisible = () => { if (document.visibilityState === 'visible') void load(); };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [load]);
}
