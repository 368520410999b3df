import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go, goWhenDone } from '../state/use-client.ts';
import { Avatar } from './avatar.tsx';
import { ErrorLine, useAction } from './error-line.tsx';
import { PanelHeader } from './panel-header.tsx';

type Preview = Awaited<ReturnType<ParleyClient['previewInvite']>>;

/** #/join/<token>: what the group is, and a Join button. */
export function JoinInvite({ client, token }: { client: ParleyClient; token: string }) {
  const { t } = useI18n();
  const [preview, setPreview] = useState<Preview | undefined>();
  const [error, run, busy] = useAction();
  useEffect(() => {
    run(async () => setPreview(await client.previewInvite(token)));
  }, [client, token, run]);
  const member = preview && client.chat(preview.chatId);
  return (
    <section className="panel">
      <PanelHeader title={t('inviteLink')} />
      {preview && (
        <div className="card center" data-testid="invite-preview">
          <Avatar name={preview.name || '#'} color={preview.color} size={64} />
          <h3>{preview.name || t('encryptedGroupName')}</h3>
          <p className="muted">{t('membersCount', { count: preview.memberCount })}</p>
          {member
            ? <button onClick={() => go(`/chat/${preview.chatId}`, { replace: true })}>{t('continue')}</button>
            : <button disabled={busy} onClick={() => run(() => goWhenDone(async () => `/chat/${(await client.joinInvite(token)).chatId}`, { replace: true }))}>{t('join')}</button>}
        </div>
      )}
      {!preview && !error && <div className="empty-state"><div className="spinner" role="status" aria-label={t('loading')} /></div>}
      <ErrorLine error={error} />
    </section>
  );
}
