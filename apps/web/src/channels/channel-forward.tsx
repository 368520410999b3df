import type { ParleyClient } from '@parley/client';
import { CHANNEL_IMAGE_TYPES, MAX_ATTACHMENTS, type Channel, type Forwarded, type MessageEntity } from '@parley/protocol';
import type { FileToSend } from '../files/sdk.ts';
import { prepareFile } from '../files/prepare.ts';
import { ThumbnailMaker } from '../files/thumbnails.ts';
import { ChatPickDialog } from '../components/forward-picker.tsx';
import { useChannelI18n } from './text.ts';
import { go } from '../state/use-client.ts';
import type { VerifiedPost } from './channel-post.tsx';
import { channelLink } from './use-channels.ts';

/**
 * The message a forwarded post becomes: the post's text as a quote, then where it is from, with a link
 * to it; `forwarded` names the channel (receivers show "Forwarded from <title>", R202) with the post's signed date.
 */
export function forwardedPost(post: VerifiedPost, channel: Channel, from: (vars: { title: string; link: string }) => string): { text: string; entities: MessageEntity[]; forwarded: Forwarded } {
  const quote = post.text;
  const link = `${channelLink(channel.handle)}#post-${post.postSeq}`;
  const source = from({ title: channel.title, link });
  const text = quote ? `${quote}\n\n${source}` : source;
  const at = text.lastIndexOf(link);
  // Forwarded.channel.name holds up to 100 UTF-16 units; a title has up to 128 characters (R95): cut, never splitting a pair.
  const name = channel.title.length > 100 ? channel.title.slice(0, /[\ud800-\udbff]/.test(channel.title[99] ?? '') ? 99 : 100) : channel.title;
  return {
    forwarded: { channel: { name }, sentAt: post.date },
    text,
    entities: [...(quote ? [{ type: 'blockquote' as const, offset: 0, length: quote.length }] : []), ...(at >= 0 ? [{ type: 'url' as const, offset: at, length: link.length }] : [])],
  };
}

/**
 * R202: the post's photos as chat files: each downloaded from the channel and checked against its
 * signed size and SHA-256 (one that fails is left out; the link still leads to the post), then
 * prepared like a photo the person picked (dimensions, thumbnail). Other files stay behind the link.
 */
async function forwardedPhotos(client: ParleyClient, handle: string, post: VerifiedPost): Promise<FileToSend[]> {
  const photos = (post.attachments ?? []).filter((f) => CHANNEL_IMAGE_TYPES.includes(f.mime)).slice(0, MAX_ATTACHMENTS);
  if (photos.length === 0) return [];
  const maker = new ThumbnailMaker();
  try {
    const files: FileToSend[] = [];
    for (const f of photos) {
      const got = await client.channels.fetchFile(handle, f);
      if (got.verified) files.push(await prepareFile(new File([got.bytes.slice()], f.name ?? 'photo', { type: f.mime }), maker));
      else console.warn('parley: a forwarded photo failed its check, left out', got.problem);
    }
    return files;
  } finally {
    maker.dispose();
  }
}

/**
 * Forwards a public post to chats (the chat picker of R49): each gets an ordinary end-to-end
 * encrypted message quoting the post with a link to it, naming the channel, with the post's photos
 * encrypted anew for each chat (R202; the channel learns nothing; the chat's members can open the link).
 */
export function ChannelForward({ client, channel, post, onClose }: { client: ParleyClient; channel: Channel; post: VerifiedPost; onClose: () => void }) {
  const { t } = useChannelI18n();
  return (
    <ChatPickDialog client={client} title={t('chForwardTitle')} quote={post.text} testId="channel-forward" sendTestId="channel-forward-send" onClose={onClose}
      send={async (picked) => {
        const { text, entities, forwarded } = forwardedPost(post, channel, (vars) => t('chForwardFrom', vars));
        const photos = await forwardedPhotos(client, channel.handle, post);
        for (const chatId of picked) {
          if (photos.length > 0) await client.sendFiles(chatId, photos, { text, entities, forwarded });
          else await client.sendText(chatId, text, { entities, forwarded });
        }
        if (picked.length === 1) go(`/chat/${picked[0]}`);
      }} />
  );
}
