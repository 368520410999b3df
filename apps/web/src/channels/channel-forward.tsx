import type { ParleyClient } from '@parley/client';
import type { Channel, Forwarded, MessageEntity } from '@parley/protocol';
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
 * Forwards a public post to chats (the chat picker of R49): each gets an ordinary end-to-end
 * encrypted message quoting the post with a link to it (the channel learns nothing; the chat's
 * members can open the link).
 */
export function ChannelForward({ client, channel, post, onClose }: { client: ParleyClient; channel: Channel; post: VerifiedPost; onClose: () => void }) {
  const { t } = useChannelI18n();
  return (
    <ChatPickDialog client={client} title={t('chForwardTitle')} quote={post.text} testId="channel-forward" sendTestId="channel-forward-send" onClose={onClose}
      send={async (picked) => {
        const { text, entities, forwarded } = forwardedPost(post, channel, (vars) => t('chForwardFrom', vars));
        for (const chatId of picked) await client.sendText(chatId, text, { entities, forwarded });
        if (picked.length === 1) go(`/chat/${picked[0]}`);
      }} />
  );
}
