import { textOrFiles } from '../files/summary.ts';
import { useState } from 'react';
import type { TimelineItem } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { Icon } from './icons.tsx';
import { jumpToMessage } from './timeline-window.ts';

/**
 * R50: the chat's pinned messages under its header, the latest first. A click scrolls to the one
 * shown and moves on to the next older one (round), like the big messengers; × unpins it.
 */
export function PinnedBar({ pinned, mayPin, onUnpin }: { pinned: readonly TimelineItem[]; mayPin: boolean; onUnpin: (item: TimelineItem) => void }) {
  const { t } = useI18n();
  const [index, setIndex] = useState(0);
  if (pinned.length === 0) return null;
  const at = index < pinned.length ? index : 0;
  const item = pinned[at];
  if (!item) return null;
  const label = pinned.length > 1 ? t('pinnedOf', { index: at + 1, count: pinned.length }) : t('pinnedMessage');
  const show = () => {
    jumpToMessage(item.id, true);
    setIndex((at + 1) % pinned.length);
  };
  return (
    <div className="pinned-bar" role="region" aria-label={t('pinnedMessage')} data-testid="pinned-bar">
      <button type="button" className="pinned-show" onClick={show} data-testid="pinned-show">
        <Icon name="pin" size={16} />
        <span className="pinned-text">
          <span className="pinned-label">{label}</span>
          <span className="pinned-body">{textOrFiles(t, item)}</span>
        </span>
      </button>
      {mayPin && (
        <button type="button" className="icon small" aria-label={t('unpin')} title={t('unpin')} onClick={() => onUnpin(item)} data-testid="pinned-unpin">
          <Icon name="close" size={16} />
        </button>
      )}
    </div>
  );
}
