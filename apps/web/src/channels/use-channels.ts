import { useCallback, useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Channel, ChannelKeyList } from '@parley/protocol';

/** This tab's own channel actions (subscribe, create, read) tell the chat list to read the subscriptions again. */
const local = new EventTarget();
export function channelsChanged(): void {
  local.dispatchEvent(new Event('changed'));
}

/**
 * Runs `load` now, on every channel notice (R97: `channelPost`, for `channelId` or any) and after
 * this tab's own channel actions; `reload` for after an action of this view.
 */
export function useChannelData<T>(client: ParleyClient, load: () => Promise<T>, channelId?: string): { value: T | undefined; error: unknown; reload: () => Promise<void> } {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<unknown>();
  const reload = useCallback(async () => {
    try {
      setValue(await load());
      setError(undefined);
    } catch (err) {
      console.warn('parley: channel load failed', err);
      setError(err);
    }
  }, [load]);
  useEffect(() => {
    void reload();
    const again = () => void reload();
    local.addEventListener('changed', again);
    const off = client.on('channelPost', (e) => { if (!channelId || e.channelId === channelId) again(); });
    return () => { off(); local.removeEventListener('changed', again); };
  }, [client, reload, channelId]);
  return { value, error, reload };
}

/** The admins the channel's key list names (for showing the composer; the server and every reader enforce it). */
export function channelAdmins(channel: Channel): string[] {
  try {
    const list = JSON.parse(channel.keyList.signed) as ChannelKeyList;
    return list.admins.filter((a) => a.untilSeq === undefined).map((a) => a.userId);
  } catch {
    return [];
  }
}

/** The link anyone can open: the server's page without an account, the channel in the app with one. */
export function channelLink(handle: string): string {
  return `${location.origin}/c/${handle}`;
}
