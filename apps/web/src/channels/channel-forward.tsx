import { useEffect, useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Channel, MessageEntity } from '@parley/protocol';
import { ChatAvatar } from '../components/avatar.tsx';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { chatTitle } from '../components/system-text.ts';
import { useChannelI18n } from './text.ts';
import { go } from '../state/use-client.ts';
import type { VerifiedPost } from './channel-post.tsx';
import { channelLink } from './use-channels.ts';

/** The message a forwarded post becomes: the post's text as a quote, then where it is from, with a link to it. */
export function forwardedPost(post: VerifiedPost, channel: Channel, from: (vars: { title: string; link: string }) => string): { text: string; entities: MessageEntity[] } {
  const quote = post.text;
  const link = `${channelLink(channel.handle)}#post-${post.postSeq}`;
  const source = from({ title: channel.title, link });
  const text = quote ? `${quote}\n\n${source}` : source;
  const at = text.lastIndexOf(link);
  return {
    text,
    entities: [...(quote ? [{ type: 'blockquote' as const, offset: 0, length: quote.length }] : []), ...(at >= 0 ? [{ type: 'url' as const, offset: at, length: link.length }] : [])],
  };
}

/**
 * Forwards a public post to chats: each gets an ordinary end-to-end encrypted message quoting the
 * post with a link to it (the channel learns nothing; the chat's members can open the link).
 */
export function ChannelForward({ client, channel, post, onClose }: { client: ParleyClient; channel: Channel; post: VerifiedPost; onClose: () => void }) {
  const { t } = useChannelI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [error, run, busy] = useAction();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const q = query.trim().toLocaleLowerCase();
  const chats = client.chats().filter((c) => c.encryption !== 'removed' && chatTitle(t, c).toLocaleLowerCase().includes(q));
  const toggle = (chatId: string, on: boolean) => setPicked((p) => (on ? [...p, chatId] : p.filter((id) => id !== chatId)));
  const send = () => run(async () => {
    const { text, entities } = forwardedPost(post, channel, (vars) => t('chForwardFrom', vars));
    for (const chatId of picked) await client.sendText(chatId, text, { entities });
    ref.current?.close();
    if (picked.length === 1) go(`/chat/${picked[0]}`);
  });
  return (
    <dialog ref={ref} className="forward-picker" aria-labelledby="channel-forward-title" onClose={onClose} data-testid="channel-forward">
      <h2 id="channel-forward-title">{t('chForwardTitle')}</h2>
      <p className="forward-quote muted small">{post.text.length > 120 ? `${post.text.slice(0, 120)}…` : post.text}</p>
      <input type="search" placeholder={t('forwardSearch')} aria-label={t('forwardSearch')} value={query} onChange={(e) => setQuery(e.target.value)} />
      <ul className="forward-list" aria-label={t('chats')}>
        {chats.length === 0 && <li className="muted small">{t('forwardNone')}</li>}
        {chats.map((c) => (
          <li key={c.chatId}>
            <label className="forward-row" data-testid="forward-target">
              <input type="checkbox" checked={picked.includes(c.chatId)} onChange={(e) => toggle(c.chatId, e.target.checked)} />
              <ChatAvatar chat={c} size={32} />
              <span className="chat-title">{chatTitle(t, c)}</span>
            </label>
          </li>
        ))}
      </ul>
      <ErrorLine error={error} />
      <div className="fmt-confirm-actions">
        <button type="button" className="secondary" onClick={() => ref.current?.close()}>{t('cancel')}</button>
        <button type="button" disabled={picked.length === 0 || busy} onClick={send} data-testid="channel-forward-send">{t('forwardSend', { count: Math.max(picked.length, 1) })}</button>
      </div>
    </dialog>
  );
}
