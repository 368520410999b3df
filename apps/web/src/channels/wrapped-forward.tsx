import { useState, type ReactNode } from 'react';
import type { ParleyClient, WrappedChannelPost } from '@parley/client';
import { ChatPickDialog } from '../components/forward-picker.tsx';
import { Icon } from '../components/icons.tsx';
import { sanitizeFileName } from '../files/sdk.ts';
import { go } from '../state/use-client.ts';
import { useChannelI18n, type ChannelTranslate } from './text.ts';

type Verified = Extract<WrappedChannelPost, { verified: true }>;

/** What the picker quotes of a post: its text, else what its files are (as a chat's forward says it). */
function postSummary(t: ChannelTranslate, post: Verified): string {
  if (post.text) return post.text;
  const atts = post.attachments ?? [];
  const [first] = atts;
  if (!first) return '';
  if (atts.length > 1) return t('attachmentPreview', { count: atts.length });
  if (first.kind === 'voice') return `🎤 ${t('voiceMessage')}`;
  if (first.kind === 'image') return `🖼 ${t('photo')}`;
  if (first.kind === 'video') return `🎬 ${t('video')}`;
  return `📎 ${sanitizeFileName(first.name)}`;
}

/**
 * R186: a wrapped post forwarded to chats (the chat picker of R49): each chat gets a new end-to-end
 * encrypted message from this device with the post's text and files (re-shared: the chat's members may
 * then download them), "Forwarded from" the channel's name; no link (a private channel has none for
 * outsiders). `button(post)` goes under each post, `dialog` once in the view.
 */
export function useWrappedForward(client: ParleyClient, communityId: string): { button: (post: Verified) => ReactNode; dialog: ReactNode } {
  const { t } = useChannelI18n();
  const [forwarding, setForwarding] = useState<Verified>();
  const button = (post: Verified) => (
    <div className="channel-post-actions">
      <button type="button" className="secondary small" onClick={() => setForwarding(post)} data-testid="wrapped-forward-open">
        <Icon name="forward" size={14} /> {t('chForward')}
      </button>
    </div>
  );
  const dialog = forwarding && (
    <ChatPickDialog client={client} title={t('chForwardTitle')} quote={postSummary(t, forwarding)} testId="wrapped-forward" sendTestId="wrapped-forward-send"
      onClose={() => setForwarding(undefined)}
      send={async (picked) => {
        await client.wrappedChannels.forward(picked, communityId, forwarding);
        if (picked.length === 1) go(`/chat/${picked[0]}`);
      }} />
  );
  return { button, dialog };
}
