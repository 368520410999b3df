import { useCallback, useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Attachment } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { ErrorLine } from '../components/error-line.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { FileCard, MediaTile } from './attachments.tsx';
import { files, type MediaFilter, type MediaItem } from './sdk.ts';
import { Viewer } from './viewer.tsx';
import { VoicePlayer } from './voice-player.tsx';

const PAGE = 30;
const TABS: readonly { filter: MediaFilter; label: 'tabMedia' | 'tabFiles' | 'tabVoice' }[] = [
  { filter: 'media', label: 'tabMedia' }, { filter: 'files', label: 'tabFiles' }, { filter: 'voice', label: 'tabVoice' },
];

/** A chat's "Media and files": photos and videos, files, voice messages, newest first, a page at a time (client.media). */
export function MediaView({ client, chatId }: { client: ParleyClient; chatId: string }) {
  const { t, fmt } = useI18n();
  const chat = client.chat(chatId);
  const [filter, setFilter] = useState<MediaFilter>('media');
  const [items, setItems] = useState<MediaItem[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [viewing, setViewing] = useState<number | undefined>();

  const load = useCallback(async (f: MediaFilter, before: string | undefined, replace: boolean) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await files(client).media(chatId, { filter: f, limit: PAGE, ...(before ? { before } : {}) });
      setItems((old) => (replace ? page.items : [...old, ...page.items]));
      setNext(page.next);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [client, chatId]);
  useEffect(() => { setItems([]); setNext(undefined); void load(filter, undefined, true); }, [filter, load]);

  const nameOf = (userId: string) => chat?.members.find((m) => m.userId === userId)?.displayName ?? '…';
  const visual: Attachment[] = filter === 'media' ? items.map((i) => i.attachment) : [];
  const panelId = `media-panel-${filter}`;
  return (
    <section className="panel media-view" data-testid="media-view">
      <PanelHeader title={t('mediaAndFiles')} backTo={`/chat/${chatId}`} />
      <div className="tabs" role="tablist" aria-label={t('mediaAndFiles')}>
        {TABS.map((tab) => (
          <button key={tab.filter} type="button" role="tab" id={`media-tab-${tab.filter}`} aria-selected={filter === tab.filter}
            aria-controls={`media-panel-${tab.filter}`} tabIndex={filter === tab.filter ? 0 : -1}
            onClick={() => setFilter(tab.filter)}
            onKeyDown={(e) => {
              const i = TABS.findIndex((x) => x.filter === filter);
              const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
              if (!d) return;
              const nextTab = TABS[(i + d + TABS.length) % TABS.length];
              if (nextTab) { setFilter(nextTab.filter); document.getElementById(`media-tab-${nextTab.filter}`)?.focus(); }
            }}>
            {t(tab.label)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={panelId} aria-labelledby={`media-tab-${filter}`} data-testid="media-panel">
        {filter === 'media' && items.length > 0 && (
          <div className="media-grid">
            {items.map((it, i) => (
              <MediaTile key={`${it.messageId}:${it.index}`} client={client} att={it.attachment} single={false} uploading={false} onOpen={() => setViewing(i)} />
            ))}
          </div>
        )}
        {filter !== 'media' && items.length > 0 && (
          <ul className="media-list">
            {items.map((it) => (
              <li key={`${it.messageId}:${it.index}`} data-testid="media-row">
                <span className="muted small">{nameOf(it.senderUserId)} · <time dateTime={new Date(it.sentAt).toISOString()}>{fmt.dateTime(it.sentAt)}</time></span>
                {filter === 'voice'
                  ? <VoicePlayer client={client} att={it.attachment} disabled={false} />
                  : <FileCard client={client} att={it.attachment} disabled={false} />}
              </li>
            ))}
          </ul>
        )}
        {!loading && items.length === 0 && !error && <p className="empty">{t('mediaEmpty')}</p>}
        {loading && <div className="empty"><span className="spinner" role="status" aria-label={t('loading')} /></div>}
        <ErrorLine error={error} />
        {next && !loading && (
          <div className="empty"><button type="button" className="secondary" onClick={() => void load(filter, next, false)}>{t('mediaMore')}</button></div>
        )}
      </div>
      {viewing !== undefined && (
        <Viewer client={client} items={visual} start={viewing} onClose={() => setViewing(undefined)} />
      )}
    </section>
  );
}
