import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { CommunityInvitePreview, CommunityInviteResponse } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { LinkWithQr } from '../components/qr.tsx';

const HOUR_MS = 3_600_000;
const EXPIRIES = [
  { key: 'communityExpires1h', ms: HOUR_MS },
  { key: 'communityExpires1d', ms: 24 * HOUR_MS },
  { key: 'communityExpires7d', ms: 7 * 24 * HOUR_MS },
] as const;

/**
 * `#/community-join/<token>/<name>`: the token is the invite's secret (R68); the name rides in the
 * fragment, which never reaches the server, because the server does not know it (R66: names are
 * end-to-end encrypted). It is what the link's maker called the community, shown as such until the
 * joiner's device reads the real one in the announcements chat.
 */
export function communityInviteUrl(token: string, name: string): string {
  return `${location.origin}/#/community-join/${encodeURIComponent(token)}/${encodeURIComponent(name)}`;
}

/** R68 for holders of the `invite` right: an invite link with an expiry and a use limit, with its QR code. */
export function CommunityInvites({ client, communityId, name }: { client: ParleyClient; communityId: string; name: string }) {
  const { t, fmt } = useI18n();
  const [expiry, setExpiry] = useState<number>(EXPIRIES[2].ms);
  const [maxUses, setMaxUses] = useState('');
  const [made, setMade] = useState<CommunityInviteResponse | undefined>();
  const [error, run, busy] = useAction();
  return (
    <div className="card" data-testid="community-invites">
      <h3>{t('inviteLink')}</h3>
      <form className="row narrow-stack" onSubmit={(e) => {
        e.preventDefault();
        const uses = maxUses.trim() === '' ? undefined : Number(maxUses);
        run(async () => setMade(await client.communities.createInvite(communityId, { expiresInMs: expiry, ...(uses ? { maxUses: uses } : {}) })));
      }}>
        <label className="grow">{t('communityInviteExpires')}
          <select value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
            {EXPIRIES.map((x) => <option key={x.ms} value={x.ms}>{t(x.key)}</option>)}
          </select>
        </label>
        <label className="grow">{t('communityInviteMaxUses')}
          <input type="number" min={1} max={10000} inputMode="numeric" value={maxUses} placeholder={t('communityInviteNoLimit')} onChange={(e) => setMaxUses(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>{t('createInvite')}</button>
      </form>
      {made && (
        <>
          <LinkWithQr url={communityInviteUrl(made.token, name)} />
          <p className="muted small" data-testid="community-invite-terms">
            {t('inviteEnds', { time: fmt.dateTime(made.expiresAt) })}{made.maxUses !== null ? ` · ${t('communityInviteUses', { count: made.maxUses })}` : ''}
          </p>
        </>
      )}
      <ErrorLine error={error} />
    </div>
  );
}

/** #/community-join/<token>/<name>: what the community is (name, member count) and a Join button. */
export function JoinCommunity({ client, token, hint }: { client: ParleyClient; token: string; hint: string | undefined }) {
  const { t } = useI18n();
  const [preview, setPreview] = useState<CommunityInvitePreview | undefined>();
  const [mine, setMine] = useState(false);
  const [error, run, busy] = useAction();
  useEffect(() => {
    run(async () => {
      const [p, list] = await Promise.all([client.communities.previewInvite(token), client.communities.list()]);
      setMine(list.some((c) => c.communityId === p.communityId));
      setPreview(p);
    });
  }, [client, token, run]);
  const name = preview?.name || hint?.trim() || '';
  return (
    <section className="panel">
      <PanelHeader title={t('communityInvite')} />
      {preview && (
        <div className="card center" data-testid="community-invite-preview">
          <span className="avatar community-avatar" style={{ width: 64, height: 64 }} aria-hidden="true"><Icon name="community" size={32} /></span>
          <h3>{name || t('communityUnnamed')}</h3>
          <p className="muted">{t('membersCount', { count: preview.memberCount })}</p>
          {!preview.name && name && <p className="muted small">{t('communityNameFromLink')}</p>}
          {mine
            ? <button onClick={() => go(`/community/${preview.communityId}`, { replace: true })}>{t('continue')}</button>
            : <button disabled={busy} onClick={() => run(async () => go(`/community/${(await client.communities.joinInvite(token)).communityId}`, { replace: true }))}>
              {t('communityJoin')}
            </button>}
        </div>
      )}
      {!preview && !error && <div className="empty-state"><div className="spinner" role="status" aria-label={t('loading')} /></div>}
      <ErrorLine error={error} />
    </section>
  );
}
