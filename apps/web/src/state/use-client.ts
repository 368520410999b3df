import { useEffect, useReducer } from 'react';
import type { ParleyClient } from '@parley/client';

/** Re-renders the component whenever the client's visible state changes. */
export function useClientState(client: ParleyClient): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const offChange = client.on('change', bump);
    const offConnection = client.on('connection', bump);
    return () => { offChange(); offConnection(); };
  }, [client]);
}

export type Route =
  | { name: 'home' }
  | { name: 'chat'; chatId: string }
  | { name: 'info'; chatId: string }
  | { name: 'media'; chatId: string }
  /** R104: importing an export into this chat. */
  | { name: 'import'; chatId: string }
  | { name: 'join'; token: string }
  | { name: 'community'; communityId: string }
  | { name: 'communityMembers'; communityId: string }
  | { name: 'communityJoin'; token: string; hint: string | undefined }
  | { name: 'newCommunity' }
  | { name: 'user'; handle: string }
  | { name: 'new' }
  | { name: 'requests' }
  | { name: 'settings' }
  // Public channels (R95-R99, R111): one by id, one by handle (a /c/<handle> link), new, search.
  | { name: 'channel'; channelId: string }
  | { name: 'channelHandle'; handle: string }
  | { name: 'newChannel' }
  | { name: 'wrappedChannel'; communityId: string }
  | { name: 'channels' };

/** Hash routes (#/chat/ID …) so the static server needs no fallback for deep links. */
export function parseRoute(hash: string): Route {
  const [section, arg, extra] = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map((part) => {
    try { return decodeURIComponent(part); } catch { return part; }
  });
  if (section === 'chat' && arg) return { name: 'chat', chatId: arg };
  if (section === 'info' && arg) return { name: 'info', chatId: arg };
  if (section === 'media' && arg) return { name: 'media', chatId: arg };
  if (section === 'import' && arg) return { name: 'import', chatId: arg };
  if (section === 'join' && arg) return { name: 'join', token: arg };
  if (section === 'community' && arg) return extra === 'members' ? { name: 'communityMembers', communityId: arg } : { name: 'community', communityId: arg };
  if (section === 'community-join' && arg) return { name: 'communityJoin', token: arg, hint: extra };
  if (section === 'new-community') return { name: 'newCommunity' };
  if (section === 'u' && arg) return { name: 'user', handle: arg };
  if (section === 'new') return { name: 'new' };
  if (section === 'requests') return { name: 'requests' };
  if (section === 'settings') return { name: 'settings' };
  if (section === 'channel' && arg) return { name: 'channel', channelId: arg };
  if (section === 'c' && arg) return { name: 'channelHandle', handle: arg };
  if (section === 'new-channel') return { name: 'newChannel' };
  if (section === 'private' && arg) return { name: 'wrappedChannel', communityId: arg };
  if (section === 'channels') return { name: 'channels' };
  return { name: 'home' };
}

export function useRoute(): Route {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    addEventListener('hashchange', bump);
    return () => removeEventListener('hashchange', bump);
  }, []);
  return parseRoute(location.hash);
}

/** Navigates; `replace` for redirects (#/u/… → #/chat/…) so Back does not bounce. */
export function go(path: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) location.replace(`#${path}`);
  else location.hash = path;
}

/**
 * Runs `action` (a join, an accept: it can take seconds while the chats are fetched and their logs
 * decrypted), then goes where it says, unless the user went elsewhere meanwhile: a slow action must
 * not pull them back from the chat they opened.
 */
export async function goWhenDone(action: () => Promise<string>, opts: { replace?: boolean } = {}): Promise<void> {
  const from = location.hash;
  const path = await action();
  if (location.hash === from) go(path, opts);
}
