import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { MAX_ATTACHMENTS } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { Icon } from '../components/icons.tsx';
import { FileIcon } from './file-icon.tsx';
import { formatBytes } from './format.ts';
import { prepareFile } from './prepare.ts';
import { sanitizeFileName, type FileToSend } from './sdk.ts';
import { ThumbnailMaker } from './thumbnails.ts';

export interface TrayEntry { id: number; file: File; prepared?: FileToSend }

export interface AttachTray {
  entries: TrayEntry[];
  /** Adds files (picker, drop, paste); past MAX_ATTACHMENTS the rest are left out and `overflow` says so. */
  add(files: Iterable<File>): void;
  remove(id: number): void;
  clear(): void;
  /** Every file's thumbnail and details are made: it can be sent. */
  ready: boolean;
  overflow: boolean;
  prepared(): FileToSend[];
}

let nextId = 1;

/** The files chosen for the next message, each prepared (kind, thumbnail, dimensions) in the thumbnail worker as it comes. */
export function useAttachTray(): AttachTray {
  const [entries, setEntries] = useState<TrayEntry[]>([]);
  const [overflow, setOverflow] = useState(false);
  const maker = useMemo(() => new ThumbnailMaker(), []);
  useEffect(() => () => maker.dispose(), [maker]);
  const count = useRef(0);
  count.current = entries.length;
  const add = useCallback((files: Iterable<File>) => {
    const list = [...files];
    if (list.length === 0) return;
    const room = Math.max(0, MAX_ATTACHMENTS - count.current);
    setOverflow(list.length > room);
    const added = list.slice(0, room).map((file) => ({ id: nextId++, file }));
    count.current += added.length;
    setEntries((current) => [...current, ...added]);
    for (const entry of added) {
      void prepareFile(entry.file, maker).then((prepared) =>
        setEntries((es) => es.map((e) => (e.id === entry.id ? { ...e, prepared } : e))));
    }
  }, [maker]);
  const remove = useCallback((id: number) => { setOverflow(false); setEntries((es) => es.filter((e) => e.id !== id)); }, []);
  const clear = useCallback(() => { setOverflow(false); setEntries([]); }, []);
  return {
    entries, add, remove, clear, overflow,
    ready: entries.length > 0 && entries.every((e) => e.prepared),
    prepared: () => entries.flatMap((e) => (e.prepared ? [e.prepared] : [])),
  };
}

/** The chosen files above the text box: thumbnail or type icon, name, size, remove. */
export function AttachTrayView({ tray }: { tray: AttachTray }) {
  const { t, locale } = useI18n();
  if (tray.entries.length === 0) return null;
  return (
    <div className="attach-tray" role="region" aria-label={t('attachTray')} data-testid="attach-tray">
      <ul>
        {tray.entries.map((e) => {
          const name = sanitizeFileName(e.file.name);
          const thumb = e.prepared?.thumbnail;
          return (
            <li key={e.id} className="tray-item" data-testid="tray-item" data-ready={e.prepared ? 'yes' : 'no'}>
              {thumb
                ? <img className="tray-thumb" src={`data:${thumb.mediaType};base64,${thumb.data}`} alt="" />
                : e.prepared ? <FileIcon name={name} size={40} /> : <span className="tray-thumb spinner small-spinner" role="status" aria-label={t('preparing')} />}
              <span className="tray-text">
                <span className="ellipsis tray-name" dir="auto">{name}</span>
                <span className="muted small">{formatBytes(e.file.size, locale)}</span>
              </span>
              <button type="button" className="icon small" aria-label={t('attachRemove', { name })} title={t('attachRemove', { name })} onClick={() => tray.remove(e.id)}>
                <Icon name="close" size={16} />
              </button>
            </li>
          );
        })}
      </ul>
      {tray.overflow && <p className="muted small" role="status">{t('attachTooMany', { count: MAX_ATTACHMENTS })}</p>}
    </div>
  );
}
