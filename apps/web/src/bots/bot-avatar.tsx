import { useEffect, useState, type ReactNode } from 'react';
import type { ParleyClient } from '@parley/client';

/** Object URLs of avatars by blob id (a new avatar is a new blob): each fetched once a session. */
const urls = new Map<string, Promise<string | undefined>>();

/** R143: the object URL of a bot's avatar (undefined: it has none, or it did not load). */
export function avatarUrl(client: ParleyClient, botId: string, blobId: string): Promise<string | undefined> {
  let url = urls.get(blobId);
  if (!url) {
    url = client.bots.avatar(botId).then((a) => (a ? URL.createObjectURL(new Blob([a.bytes as BlobPart], { type: a.mime })) : undefined), () => undefined);
    urls.set(blobId, url);
  }
  return url;
}

/** R143: a bot's avatar, round like the letter avatars; `fallback` (its initial) until it loads, or if it does not. */
export function BotPicture({ client, botId, blobId, size, fallback }: { client: ParleyClient; botId: string; blobId: string; size: number; fallback: ReactNode }) {
  const [url, setUrl] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    void avatarUrl(client, botId, blobId).then((u) => { if (live) setUrl(u); });
    return () => { live = false; };
  }, [client, botId, blobId]);
  if (!url) return <>{fallback}</>;
  return <img className="avatar bot-avatar" src={url} width={size} height={size} style={{ objectFit: 'cover' }} alt="" aria-hidden="true" data-testid="bot-avatar" />;
}
