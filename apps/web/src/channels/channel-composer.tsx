import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { useI18n } from '../i18n/index.ts';
import type { VerifiedPost } from './channel-post.tsx';

/** The admins' composer (R96): a new post, or the next version of the one being edited; signed on this device by the SDK. */
export function ChannelComposer({ client, channelId, editing, onDone }: {
  client: ParleyClient; channelId: string; editing: VerifiedPost | undefined; onDone: () => void;
}) {
  const { t } = useI18n();
  const [text, setText] = useState(editing?.text ?? '');
  const [error, run, busy] = useAction();
  const send = () => {
    if (!text.trim()) return;
    run(async () => {
      if (editing) await client.channels.edit(channelId, editing.postId, text);
      else await client.channels.post(channelId, text);
      setText('');
      onDone();
    });
  };
  return (
    <div className="channel-composer">
      <ErrorLine error={error} />
      {editing && (
        <div className="composer-context">
          <Icon name="edit" size={16} /><span className="grow">{t('chEdit')}</span>
          <button type="button" className="icon small" aria-label={t('cancel')} onClick={onDone}><Icon name="close" size={16} /></button>
        </div>
      )}
      <form className="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        <textarea aria-label={t('chPostPlaceholder')} placeholder={t('chPostPlaceholder')} value={text} rows={2} className="grow"
          onChange={(e) => setText(e.target.value)} onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); } }} />
        <button type="submit" disabled={busy || !text.trim()} aria-label={editing ? t('chSave') : t('chPost')}>{editing ? t('chSave') : t('chPost')}</button>
      </form>
    </div>
  );
}
