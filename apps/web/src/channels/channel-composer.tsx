import { useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { ChannelAttachment } from '@parley/protocol';
import { useAction } from '../components/error-line.tsx';
import { ChannelErrorLine, localInputValue } from './channel-schedule.tsx';
import { channelsChanged } from './use-channels.ts';
import { Icon } from '../components/icons.tsx';
import { useChannelI18n } from './text.ts';
import type { VerifiedPost } from './channel-post.tsx';

/** A media type the signed post can carry (R110: `type/subtype`, lowercase); anything else goes as a plain file. */
function mimeOf(file: File): string {
  const type = file.type.toLowerCase();
  return /^[a-z]+\/[a-z0-9.+-]+$/.test(type) && type.length <= 100 ? type : 'application/octet-stream';
}

/** R110: uploads one chosen file as a public file, with an image's size when the browser can read it. */
async function uploadOne(client: ParleyClient, file: File): Promise<ChannelAttachment> {
  const mime = mimeOf(file);
  let dims: { width?: number; height?: number } = {};
  if (mime.startsWith('image/')) {
    try {
      const bitmap = await createImageBitmap(file);
      dims = { width: bitmap.width, height: bitmap.height };
      bitmap.close();
    } catch {
      // Not an image the browser decodes: it goes without dimensions.
    }
  }
  return client.channels.uploadFile(new Uint8Array(await file.arrayBuffer()), { mime, name: file.name.slice(0, 255), ...dims });
}

/**
 * The admins' composer (R96): a new post, or the next version of the one being edited; signed on
 * this device by the SDK. Photos and files (R110) are uploaded as public files first, then named
 * in the signed post by their hash. "Schedule" picks a time instead (R115: signed here now, published by
 * the server then; R192: with the photos and files, uploaded now).
 */
export function ChannelComposer({ client, channelId, editing, onDone }: {
  client: ParleyClient; channelId: string; editing: VerifiedPost | undefined; onDone: () => void;
}) {
  const { t } = useChannelI18n();
  const [text, setText] = useState(editing?.text ?? '');
  const [files, setFiles] = useState<File[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const [error, run, busy] = useAction();
  // R115: a time to publish at (a datetime-local value), or undefined to post now.
  const [at, setAt] = useState<string | undefined>();
  const scheduling = at !== undefined && !editing;
  const send = () => {
    if (scheduling) {
      if (!text.trim() || !at) return;
      return run(async () => {
        // R192: the photos and files are uploaded now; the scheduled post holds them on the server until its time.
        const attachments = [];
        for (const file of files) attachments.push(await uploadOne(client, file));
        await client.channels.schedule(channelId, text, new Date(at).getTime(), attachments.length > 0 ? { attachments } : {});
        setText('');
        setFiles([]);
        setAt(undefined);
        channelsChanged();
      });
    }
    if (!text.trim() && files.length === 0) return;
    run(async () => {
      const attachments = [];
      for (const file of files) attachments.push(await uploadOne(client, file));
      const extra = attachments.length > 0 ? { attachments: [...(editing?.attachments ?? []), ...attachments] } : {};
      if (editing) await client.channels.edit(channelId, editing.postId, text, extra);
      else await client.channels.post(channelId, text, extra);
      setText('');
      setFiles([]);
      onDone();
    });
  };
  return (
    <div className="channel-composer">
      <ChannelErrorLine error={error} />
      {scheduling && (
        <div className="composer-context channel-schedule-at">
          <label className="grow">{t('chScheduleAt')}{' '}
            <input type="datetime-local" value={at} min={localInputValue(Date.now())} required onChange={(e) => setAt(e.target.value)} data-testid="schedule-at" />
          </label>
          <button type="button" className="secondary small" onClick={() => setAt(undefined)}>{t('chScheduleOff')}</button>
        </div>
      )}
      {editing && (
        <div className="composer-context">
          <Icon name="edit" size={16} /><span className="grow">{t('chEdit')}</span>
          <button type="button" className="icon small" aria-label={t('cancel')} onClick={onDone}><Icon name="close" size={16} /></button>
        </div>
      )}
      {files.length > 0 && (
        <ul className="channel-files composer-context" aria-label={t('chAttach')}>
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              <span>{f.name}</span>
              <button type="button" className="icon small" aria-label={`${t('remove')} ${f.name}`} onClick={() => setFiles(files.filter((_, j) => j !== i))}><Icon name="close" size={14} /></button>
            </li>
          ))}
        </ul>
      )}
      <form className="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        <input ref={input} type="file" multiple hidden data-testid="channel-file-input" onChange={(e) => {
          setFiles([...files, ...(e.target.files ? [...e.target.files] : [])]);
          e.target.value = '';
        }} />
        <button type="button" className="icon" aria-label={t('chAttach')} title={t('chAttach')} onClick={() => input.current?.click()}><Icon name="attach" /></button>
        <textarea aria-label={t('chPostPlaceholder')} placeholder={t('chPostPlaceholder')} value={text} rows={2} className="grow"
          onChange={(e) => setText(e.target.value)} onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); } }} />
        {!editing && !scheduling && (
          <button type="button" className="secondary" disabled={busy} onClick={() => setAt(localInputValue(Date.now() + 3_600_000))}>{t('chSchedule')}</button>
        )}
        <button type="submit" disabled={busy || (scheduling ? !text.trim() || !at : !text.trim() && files.length === 0)}>{editing ? t('chSave') : scheduling ? t('chSchedule') : t('chPost')}</button>
      </form>
    </div>
  );
}
