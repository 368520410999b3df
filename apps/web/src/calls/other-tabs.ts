import { useEffect, useState } from 'react';

/**
 * Tabs of one browser are one device (one key, one store) with a client each, so a call rings in
 * every tab, and the SDK cannot tell a tab that another answered or declined it: that entry comes
 * from its own device. The tab that answers or declines says so on a BroadcastChannel; the others
 * stop showing the call (their SDK lets it lapse at the ring time; the chat's line is the log's).
 */
const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel('parley.calls');

export function tellOtherTabs(callId: string): void {
  channel?.postMessage({ handled: callId });
}

/** Calls answered or declined in another tab of this browser. */
export function useHandledElsewhere(): ReadonlySet<string> {
  const [handled, setHandled] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    if (!channel) return;
    const onMessage = (event: MessageEvent<unknown>) => {
      const id = (event.data as { handled?: unknown } | null)?.handled;
      if (typeof id === 'string') setHandled((prev) => new Set(prev).add(id));
    };
    channel.addEventListener('message', onMessage);
    return () => channel.removeEventListener('message', onMessage);
  }, []);
  return handled;
}
