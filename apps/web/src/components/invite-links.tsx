import { useCallback, useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { InviteInfo, Member } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { ErrorLine, useAction } from './error-line.tsx';
import { LinkWithQr } from './qr.tsx';

/** `#/join/<token>` on this origin: what an invite link looks like to the people it is sent to. */
export function inviteUrl(token: string): string {
  return `${location.origin}/#/join/${encodeURIComponent(token)}`;
}

/**
 * R42, for the group's admins and owner: make an invite link, and see every invite that still works
 * (who made it, when it ends, how often it was used) with a Revoke button. An invite also stops by
 * itself when it ends, is used up, or its maker is no longer an admin; the server leaves those out.
 */
export function InviteLinks({ client, chatId, members }: { client: ParleyClient; chatId: string; members: readonly Member[] }) {
  const { t, fmt } = useI18n();
  const [invites, setInvites] = useState<InviteInfo[] | undefined>();
  const [created, setCreated] = useState<string | undefined>();
  const [error, run, busy] = useAction();
  const reload = useCallback(async () => setInvites(await client.listInvites(chatId)), [client, chatId]);
  useEffect(() => { run(reload); }, [run, reload]);
  const nameOf = (userId: string) => members.find((m) => m.userId === userId)?.displayName ?? t('formerMember');

  return (
    <div className="card" data-testid="invite-links">
      <h3>{t('inviteLink')}</h3>
      {created ? <LinkWithQr url={inviteUrl(created)} /> : (
        <button disabled={busy} onClick={() => run(async () => { setCreated((await client.createInvite(chatId)).token); await reload(); })}>
          {t('createInvite')}
        </button>
      )}
      {invites && (
        <>
          <h4 className="muted small">{t('invitesLive')}</h4>
          {invites.length === 0 && <p className="muted small">{t('invitesNone')}</p>}
          <ul className="invites">
            {invites.map((i) => (
              <li key={i.token} data-testid="invite">
                <span className="grow">
                  <code className="token">…{i.token.slice(-6)}</code>{i.token === created ? ` · ${t('inviteJustMade')}` : ''}
                  <br />
                  <span className="muted small">
                    {t('inviteMadeBy', { name: nameOf(i.createdBy), time: fmt.dateTime(i.createdAt) })}
                    {' · '}{t('inviteEnds', { time: fmt.dateTime(i.expiresAt) })}
                    {' · '}{i.maxUses === null ? t('inviteUses', { count: i.uses }) : t('inviteUsesOf', { count: i.uses, max: i.maxUses })}
                  </span>
                </span>
                <button className="small danger" disabled={busy} aria-label={`${t('revokeInvite')} …${i.token.slice(-6)}`}
                  onClick={() => run(async () => {
                    await client.revokeInvite(chatId, i.token);
                    if (i.token === created) setCreated(undefined);
                    await reload();
                  })}>{t('revokeInvite')}</button>
              </li>
            ))}
          </ul>
          <p className="muted small">{t('invitesHint')}</p>
        </>
      )}
      <ErrorLine error={error} />
    </div>
  );
}
