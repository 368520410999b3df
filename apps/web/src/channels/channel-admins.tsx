import { useCallback, useState } from 'react';
import type { ChannelAdmin, ParleyClient } from '@parley/client';
import type { ChannelKeyList } from '@parley/protocol';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { useChannelI18n } from './text.ts';
import { channelsChanged, useChannelData } from './use-channels.ts';
import './channel-admins.css';

interface Loaded {
  admins: ChannelAdmin[];
  /** The key list as this device verified it (who may post now, whether names are signed). */
  list: ChannelKeyList | { problem: string };
}

/**
 * R95b, R200 (issue 13): a public channel's admins, in its owner's settings. The owner names a person by
 * @handle (the add-member field of group info); their app shows the invitation and, once they accept, the
 * owner's device signs their key into the list so they can post. Removing one signs a list that retires
 * their key. "Sign posts with the author's name" is part of that signed list (R200).
 */
export function ChannelAdmins({ client, channelId }: { client: ParleyClient; channelId: string }) {
  const { t } = useChannelI18n();
  const [handle, setHandle] = useState('');
  const [error, run, busy] = useAction();
  const load = useCallback(async (): Promise<Loaded> => {
    const [admins, list] = await Promise.all([client.channels.admins(channelId), client.channels.keyList(channelId)]);
    return { admins, list };
  }, [client, channelId]);
  const { value, error: loadError, reload } = useChannelData(client, load, channelId);
  const act = (fn: () => Promise<unknown>) => run(async () => { await fn(); channelsChanged(); await reload(); });
  if (!value) return <div className="card" data-testid="channel-admins"><ErrorLine error={loadError} /></div>;
  const list = 'problem' in value.list ? undefined : value.list;
  const signed = (a: ChannelAdmin) => list?.admins.some((b) => b.userId === a.userId && b.key === a.key && b.untilSeq === undefined) ?? false;
  const waiting = value.admins.some((a) => a.key && !signed(a));
  const state = (a: ChannelAdmin) => (a.role === 'owner' ? t('chAdminOwner') : !a.key ? t('chAdminInvited') : signed(a) ? t('chAdminPosts') : t('chAdminAccepted'));
  return (
    <div className="card channel-admins" data-testid="channel-admins">
      <h3>{t('chAdmins')}</h3>
      <p className="muted small">{t('chAdminsHint')}</p>
      <ul className="channel-admin-list">
        {value.admins.map((a) => (
          <li key={a.userId} data-testid="channel-admin">
            <span className="grow">
              <strong>{a.displayName || `@${a.handle}`}</strong> <span className="muted small">@{a.handle}</span>
              <br /><span className="muted small" data-testid="channel-admin-state">{state(a)}</span>
            </span>
            {a.role !== 'owner' && (
              <button type="button" className="secondary small danger" disabled={busy}
                onClick={() => { if (confirm(t('chAdminRemoveConfirm', { name: a.displayName || a.handle }))) act(() => client.channels.removeAdmin(channelId, a.userId)); }}>
                {t('chAdminRemove')}
              </button>
            )}
          </li>
        ))}
      </ul>
      {waiting && <button type="button" className="small" disabled={busy} onClick={() => act(() => client.channels.publishKeyList(channelId))}>{t('chAdminSignIn')}</button>}
      <form className="row narrow-stack" onSubmit={(e) => {
        e.preventDefault();
        act(async () => {
          await client.channels.addAdmin(channelId, (await client.findUser(handle.trim().replace(/^@/, ''))).userId);
          setHandle('');
        });
      }}>
        <label className="grow">{t('chAdminAdd')}
          <input value={handle} onChange={(e) => setHandle(e.target.value)} placeholder="@handle" autoCapitalize="off" autoCorrect="off" spellCheck={false} required />
        </label>
        <button type="submit" className="small" disabled={busy}>{t('add')}</button>
      </form>
      {list && (
        <label className="check channel-sign-names">
          <input type="checkbox" checked={list.signNames ?? false} disabled={busy} data-testid="channel-sign-names"
            onChange={(e) => { const on = e.target.checked; act(() => client.channels.setSignNames(channelId, on)); }} />
          <span className="grow">{t('chSignNames')}<br /><span className="muted small">{t('chSignNamesHint')}</span></span>
        </label>
      )}
      <ErrorLine error={error} />
    </div>
  );
}

/**
 * R200: the channels whose owner named this person an admin, shown in the chat list until they accept
 * (their device makes its post-signing key and registers it; the owner's device then signs it in).
 */
export function AdminInvites({ client, invites, onDone }: { client: ParleyClient; invites: Array<{ channelId: string; title: string; handle: string }>; onDone: () => void }) {
  const { t } = useChannelI18n();
  const [error, run, busy] = useAction();
  return (
    <>
      {invites.map((c) => (
        <li key={c.channelId} className="channel-admin-invite" data-testid="channel-admin-invite">
          <p className="small">{t('chAdminInvite', { title: c.title, handle: c.handle })}</p>
          <button type="button" className="small" disabled={busy} onClick={() => run(async () => { await client.channels.acceptAdmin(c.channelId); channelsChanged(); onDone(); })}>
            {t('chAdminAccept')}
          </button>
        </li>
      ))}
      {error && <li><ErrorLine error={error} /></li>}
    </>
  );
}
