import { useRef, useState } from 'react';
import { exportSource, previewImport, type ImportPreview, type ImportProgress, type ImportSource, type ParleyClient } from '@parley/client';
import { ErrorLine } from '../components/error-line.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { useImportI18n } from './text.ts';
import { go } from '../state/use-client.ts';

/**
 * R104: importing a Telegram or WhatsApp export into a chat. The person picks the export (a WhatsApp
 * .txt or .zip, or a Telegram export folder), sees what it holds, links authors to members, and
 * imports with progress. Everything is read and encrypted here; a chunk of its own (opened from the
 * chat's info panel).
 */
export function ImportScreen({ client, chatId }: { client: ParleyClient; chatId: string }) {
  const { t, fmt } = useImportI18n();
  // `new`: into a new group named after the export (from the new-chat panel), no members to link yet.
  const fresh = chatId === 'new';
  const chat = fresh ? undefined : client.chat(chatId);
  const [source, setSource] = useState<ImportSource>();
  const [preview, setPreview] = useState<ImportPreview>();
  const [reading, setReading] = useState(false);
  const [map, setMap] = useState<Record<string, string>>({});
  const [progress, setProgress] = useState<ImportProgress>();
  const [result, setResult] = useState<{ chatId: string; sent: number; skipped: number }>();
  const [stopped, setStopped] = useState(false);
  const [error, setError] = useState<unknown>();
  const stop = useRef<AbortController | undefined>(undefined);
  // A WhatsApp export's times have no zone: the person says which (issue 12); '' is this device's.
  const [zone, setZone] = useState('');
  const [picked, setPicked] = useState<{ path: string; blob: Blob }[]>();
  if (!chat && !fresh) return null;
  const running = progress !== undefined && result === undefined && !stopped && error === undefined;

  const pick = (list: FileList | null) => {
    if (!list || list.length === 0) return;
    read([...list].map((f) => ({ path: f.webkitRelativePath || f.name, blob: f })), zone);
  };
  const read = (files: { path: string; blob: Blob }[], zoneNow: string) => {
    setPicked(files);
    setError(undefined); setPreview(undefined); setSource(undefined); setProgress(undefined); setResult(undefined); setStopped(false); setMap({});
    setReading(true);
    void (async () => {
      try {
        const s = await exportSource(files, zoneNow === '' ? {} : { utcOffsetMinutes: Number(zoneNow) });
        const p = await previewImport(s);
        setSource(s);
        setPreview(p);
      } catch (err) {
        setError(err);
      } finally {
        setReading(false);
      }
    })();
  };

  const start = () => {
    if (!source) return;
    const controller = new AbortController();
    stop.current = controller;
    setError(undefined); setStopped(false); setResult(undefined);
    setProgress({ total: preview?.messages ?? 0, queued: 0, done: 0, skipped: 0 });
    const authorMap = Object.fromEntries(Object.entries(map).filter(([, userId]) => userId !== ''));
    const target = fresh ? { newChat: preview?.chat.name ?? t('importHistory') } : chatId;
    client.importHistory(target, source, { authorMap, signal: controller.signal, onProgress: setProgress }).then(
      (r) => setResult(r),
      (err: unknown) => { if ((err as Error).name === 'AbortError') setStopped(true); else setError(err); },
    );
  };

  const others = chat?.members ?? [];
  return (
    <section className="panel import-screen" data-testid="import-screen">
      <PanelHeader title={t('importHistory')} backTo={fresh ? '/new' : `/info/${chatId}`} />
      <div className="card">
        <p className="muted small">{t(fresh ? 'importNewHelp' : 'importHelp')}</p>
        <label className="file-pick">{t('importPickWhatsApp')}
          <input type="file" accept=".txt,.zip,text/plain,application/zip" disabled={running} data-testid="import-file" onChange={(e) => pick(e.target.files)} />
        </label>
        <label className="file-pick">{t('importPickTelegram')}
          <input type="file" multiple disabled={running} data-testid="import-folder" ref={(el) => { el?.setAttribute('webkitdirectory', ''); }} onChange={(e) => pick(e.target.files)} />
        </label>
        <label>{t('importZone')}
          <select value={zone} disabled={running} data-testid="import-zone" onChange={(e) => { setZone(e.target.value); if (picked) read(picked, e.target.value); }}>
            <option value="">{t('importZoneHere')}</option>
            {ZONE_OFFSETS.map((m) => <option key={m} value={m}>{utcLabel(m)}</option>)}
          </select>
        </label>
        {reading && <p role="status" className="muted">{t('importReading')}</p>}
      </div>
      {preview && (
        <div className="card" data-testid="import-preview">
          <h3>{t('importPreview')}</h3>
          <dl className="import-facts">
            <dt>{t('importChatName')}</dt><dd data-testid="import-chat-name">{preview.chat.name ?? '—'}</dd>
            <dt>{t('importFrom')}</dt><dd>{preview.chat.source === 'telegram' ? 'Telegram' : 'WhatsApp'}</dd>
            <dt>{t('importMessages')}</dt><dd data-testid="import-count">{preview.messages}</dd>
            {preview.firstAt !== undefined && preview.lastAt !== undefined && (
              <><dt>{t('importDates')}</dt><dd>{fmt.dateTime(preview.firstAt)} – {fmt.dateTime(preview.lastAt)}</dd></>
            )}
            <dt>{t('importFiles')}</dt><dd>{preview.files}</dd>
          </dl>
          {preview.missingFiles > 0 && <p className="muted small">{t('importFilesMissing', { count: preview.missingFiles })}</p>}
          {preview.authors.length > 0 && !fresh && (
            <fieldset className="import-authors" disabled={running}>
              <legend>{t('importAuthors')}</legend>
              <p className="muted small">{t('importAuthorsHelp')}</p>
              {preview.authors.map((a) => (
                <label key={a.name} className="row">
                  <span className="grow">{a.name} <span className="muted small">({a.messages})</span></span>
                  <select value={map[a.name] ?? ''} onChange={(e) => setMap({ ...map, [a.name]: e.target.value })}>
                    <option value="">{t('importNotLinked')}</option>
                    {others.map((m) => <option key={m.userId} value={m.userId}>{m.displayName}</option>)}
                  </select>
                </label>
              ))}
            </fieldset>
          )}
          {!running && result === undefined && <button type="button" onClick={start}>{t('importStart', { count: preview.messages })}</button>}
          {progress && (
            <div className="import-progress">
              <progress max={Math.max(1, progress.total)} value={progress.done} aria-label={t('importHistory')} />
              <span role="status" data-testid="import-progress">{t('importProgress', { done: progress.done, total: progress.total })}</span>
              {running && <button type="button" className="secondary" onClick={() => stop.current?.abort()}>{t('importCancel')}</button>}
            </div>
          )}
          {stopped && <p role="status">{t('importStopped')}</p>}
          {result && (
            <div role="status" data-testid="import-done">
              <p>{t('importDone', { sent: result.sent, skipped: result.skipped })}</p>
              <button type="button" autoFocus onClick={() => go(`/chat/${result.chatId}`)}>{t('importOpenChat')}</button>
            </div>
          )}
        </div>
      )}
      <ErrorLine error={error} />
    </section>
  );
}

/** UTC offsets in use (minutes): every half hour from −12:00 to +14:00, and +5:45, +8:45, +12:45. */
const ZONE_OFFSETS = [...Array.from({ length: 53 }, (_, i) => -720 + i * 30), 345, 525, 765].sort((a, b) => a - b);
const utcLabel = (m: number) => `UTC${m < 0 ? '−' : '+'}${String(Math.floor(Math.abs(m) / 60)).padStart(2, '0')}:${String(Math.abs(m) % 60).padStart(2, '0')}`;
