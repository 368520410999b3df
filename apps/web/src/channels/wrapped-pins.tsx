import { useState } from 'react';
import { foldWrappedPins, type WrappedChannelPost } from '@parley/client';
import { Icon } from '../components/icons.tsx';
import { useChannelI18n } from './text.ts';

type Verified = Extract<WrappedChannelPost, { verified: true }>;

/**
 * R184: the posts pinned in a wrapped channel, latest pinned first, from the log's entries as this
 * device opened them (the signed pin entries decide, `foldWrappedPins`); each the post as shown (its
 * edits folded in). A pin of a post not shown (deleted, unreadable here) is left out.
 */
export function wrappedPinned(entries: readonly WrappedChannelPost[] | undefined, shown: readonly Verified[]): Verified[] {
  if (!entries) return [];
  const bySeq = new Map(shown.map((p) => [p.seq, p]));
  return foldWrappedPins(entries).flatMap((p) => bySeq.get(p.seq) ?? []);
}

/**
 * R184: the pinned bar under the channel's header, as a chat's (R50) and a public channel's: the latest
 * pin; with several, a tap scrolls to the one shown and moves on to the next older one (round).
 */
export function WrappedPinnedBar({ pinned }: { pinned: readonly Verified[] }) {
  const { t } = useChannelI18n();
  const [index, setIndex] = useState(0);
  const at = index < pinned.length ? index : 0;
  const post = pinned[at];
  if (!post) return null;
  const show = () => {
    document.getElementById(`wrapped-post-${post.seq}`)?.scrollIntoView({ block: 'center' });
    setIndex((at + 1) % pinned.length);
  };
  return (
    <div className="pinned-bar" role="region" aria-label={t('pinnedMessage')} data-testid="wrapped-pinned-bar">
      <button type="button" className="pinned-show" onClick={show} data-testid="wrapped-pinned-show">
        <Icon name="pin" size={16} />
        <span className="pinned-text">
          <span className="pinned-label">{pinned.length > 1 ? t('pinnedOf', { index: at + 1, count: pinned.length }) : t('pinnedMessage')}</span>
          <span className="pinned-body">{post.text || t('chPhoto')}</span>
        </span>
      </button>
    </div>
  );
}

/** R184: an admin's Pin / Unpin under a post (beside Edit and Delete): a signed entry of the log. */
export function WrappedPinButton({ pinned, onPin }: { pinned: boolean; onPin: (on: boolean) => void }) {
  const { t } = useChannelI18n();
  return (
    <button type="button" className="secondary small" aria-pressed={pinned} onClick={() => onPin(!pinned)} data-testid="wrapped-pin">
      <Icon name="pin" size={14} /> {pinned ? t('chUnpin') : t('chPin')}
    </button>
  );
}
