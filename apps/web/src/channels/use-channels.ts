import { useReloading } from '../state/use-reloading.ts';
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
export function useChannelData<T>(client: ParleyClient, load: () => Promise<T>, channelId?: string) {
  return useReloading(load, (again) => listenChannels(client, again, channelId), 'channel');
}

/** Calls `again` on every channel notice (for `channelId`, or any) and after this tab's own channel actions; returns the unsubscribe. */
export function listenChannels(client: ParleyClient, again: () => void, channelId?: string): () => void {
  local.addEventListener('changed', again);
  const off = client.on('channelPost', (e) => { if (!channelId || e.channelId === channelId) again(); });
  // R201: named, removed, accepted, or a new key list: the invitations, the admins and the composer are read again.
  const offAdmin = client.on('channelAdmin', (e) => { if (!channelId || e.channelId === channelId) again(); });
  return () => { off(); offAdmin(); local.removeEventListener('changed', again); };
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
