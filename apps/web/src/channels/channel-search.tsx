import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Channel } from '@parley/protocol';
import { ErrorLine } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { useChannelI18n } from './text.ts';
import { go } from '../state/use-client.ts';

/** Waits this long after the last key before asking the server (R111 searches are rate-limited). */
const TYPE_PAUSE_MS = 350;

/** #/channels: finds public channels by the start of a handle or a title (R111), a page at a time. */
export function ChannelSearch({ client }: { client: ParleyClient }) {
  const { t } = useChannelI18n();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<{ query: string; channels: Channel[]; nextOffset?: number | undefined } | undefined>();
  const [error, setError] = useState<unknown>();
  const q = query.trim();
  useEffect(() => {
    if (!q) return setFound(undefined);
    let live = true;
    const timer = setTimeout(() => {
      client.channels.search(q).then((r) => { if (live) { setFound({ query: q, ...r }); setError(undefined); } }, (err: unknown) => { if (live) setError(err); });
    }, TYPE_PAUSE_MS);
    return () => { live = false; clearTimeout(timer); };
  }, [client, q]);
  const more = () => {
    if (!found?.nextOffset) return;
    client.channels.search(found.query, found.nextOffset).then(
      (r) => setFound({ query: found.query, channels: [...found.channels, ...r.channels], nextOffset: r.nextOffset }), setError);
  };
  return (
    <section className="panel">
      <PanelHeader title={t('chFind')} />
      <div className="card">
        <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} maxLength={64} autoFocus autoCapitalize="off" autoCorrect="off" spellCheck={false}
          placeholder={t('chSearchPlaceholder')} aria-label={t('chSearchPlaceholder')} />
        <p className="muted small">{t('chSearchHint')}</p>
        <ErrorLine error={error} />
      </div>
      {found && (
        <ul className="channel-search-results" style={{ listStyle: 'none', margin: 0, padding: '0 12px' }} aria-label={t('chFind')} aria-live="polite">
          {found.channels.length === 0 && <li className="muted">{t('chSearchNone')}</li>}
          {found.channels.map((c) => (
            <li key={c.channelId}>
              <button type="button" className="chat-row" data-testid="channel-result" onClick={() => go(`/channel/${c.channelId}`)}>
                <span className="avatar community-avatar" style={{ width: 40, height: 40 }} aria-hidden="true"><Icon name="megaphone" /></span>
                <span className="chat-text">
                  <span className="chat-line"><span className="chat-title">{c.title}</span></span>
                  <span className="chat-line"><span className="chat-preview">@{c.handle} · {t('chSubscribers', { count: c.subscribers })}</span></span>
                </span>
              </button>
            </li>
          ))}
          {found.nextOffset !== undefined && <li><button type="button" className="secondary small" onClick={more}>{t('chMore')}</button></li>}
        </ul>
      )}
    </section>
  );
}
