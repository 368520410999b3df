import type { TimelineItem } from '@parley/client';
import type { Translate } from '../i18n/index.ts';
import { attachmentsOf, sanitizeFileName } from './sdk.ts';

/** A message's text for the chat list and announcements: its caption, else a few words for its files. */
export function textOrFiles(t: Translate, item: TimelineItem): string {
  if (item.poll && !item.deleted) return `📊 ${item.text}`; // R87: the question
  if (item.text) return item.text;
  if (item.place && !item.deleted) return `📍 ${item.place.title ?? (item.place.live ? t('placeLive') : t('placeLocation'))}`; // R151, R157
  const atts = attachmentsOf(item);
  const [first] = atts;
  if (!first) return item.text;
  if (atts.length > 1) return t('attachmentPreview', { count: atts.length });
  switch (first.kind) {
    case 'voice': return `🎤 ${t('voiceMessage')}`;
    case 'image': return first.sticker ? `${first.sticker.emoji ?? '🖼'} ${t('sticker')}` : `🖼 ${t('photo')}`; // R158
    case 'video': return `🎬 ${t('video')}`;
    default: return `📎 ${sanitizeFileName(first.name)}`;
  }
}
