import { ParleyError, type Content, type WrappedChannelInfo } from '@parley/protocol';
import { checkedContent } from '../formatting/checked-content.ts';
import type { WrappedChannelPost } from './wrapped.ts';

/** What a forward needs of the client: queue content with its blobs (R54) in a chat this device is in (`not_member` otherwise). */
export type ForwardSend = (chatId: string, content: Content, blobs: string[]) => Promise<string>;

/**
 * R186: the message a wrapped post becomes in a chat: its text (as shown, after edits) and files (the
 * same `Attachment`s, keys included: R54's re-share, nothing uploaded again), `forwarded` naming the
 * channel as this device read its name (R147; left out when it read none) and the post's signed date.
 * Only a post that opened and verified here is forwarded (`bad_request` otherwise).
 */
export function wrappedForwardContent(post: WrappedChannelPost, info: WrappedChannelInfo | undefined): Content {
  if (!post.verified || post.edits !== undefined || (!post.text && !post.attachments?.length)) {
    throw new ParleyError('bad_request', 'not a post that can be forwarded');
  }
  return checkedContent({
    kind: 'text', text: post.text,
    forwarded: { ...(info?.name ? { channel: { name: info.name } } : {}), sentAt: post.date },
    ...(post.attachments?.length ? { attachments: post.attachments } : {}),
  });
}

/**
 * R186: sends the post into each target chat as a new end-to-end encrypted message by this device,
 * naming its blobs so the server references them for that chat (R54): the chat's members may then
 * download them (R55). The server accepts the reference only from someone who may read the blob
 * (here: a current member of the channel), so an outsider can't attach a channel's files to a chat.
 */
export async function forwardWrapped(send: ForwardSend, targetChatIds: readonly string[], post: WrappedChannelPost, info: WrappedChannelInfo | undefined): Promise<string[]> {
  const content = wrappedForwardContent(post, info);
  const blobs = post.verified ? (post.attachments ?? []).map((a) => a.blobId) : [];
  const ids: string[] = [];
  for (const chatId of new Set(targetChatIds)) ids.push(await send(chatId, content, blobs));
  return ids;
}
