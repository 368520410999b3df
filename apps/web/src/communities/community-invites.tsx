import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { CommunityInvitePreview, CommunityInviteResponse, CommunityJoinRequest } from '@parley/protocol';
import { useJoinI18n } from './join-text.ts';
import { go, goWhenDone } from '../state/use-client.ts';
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
  const { t, fmt } = useJoinI18n();
  const [expiry, setExpiry] = useState<number>(EXPIRIES[2].ms);
  const [maxUses, setMaxUses] = useState('');
  const [approval, setApproval] = useState(false);
  const [made, setMade] = useState<CommunityInviteResponse | undefined>();
  const [error, run, busy] = useAction();
  return (
    <div className="card" data-testid="community-invites">
      <h3>{t('inviteLink')}</h3>
      <form className="row narrow-stack" onSubmit={(e) => {
        e.preventDefault();
        const uses = maxUses.trim() === '' ? undefined : Number(maxUses);
        run(async () => setMade(await client.communities.createInvite(communityId, { expiresInMs: expiry, ...(uses ? { maxUses: uses } : {}), ...(approval ? { needsApproval: true } : {}) })));
      }}>
        <label className="grow">{t('communityInviteExpires')}
          <select value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
            {EXPIRIES.map((x) => <option key={x.ms} value={x.ms}>{t(x.key)}</option>)}
          </select>
        </label>
        <label className="grow">{t('communityInviteMaxUses')}
          <input type="number" min={1} max={10000} inputMode="numeric" value={maxUses} placeholder={t('communityInviteNoLimit')} onChange={(e) => setMaxUses(e.target.value)} />
        </label>
        <label className="check grow">
          <input type="checkbox" checked={approval} onChange={(e) => setApproval(e.target.checked)} data-testid="invite-needs-approval" aria-describedby="invite-approval-hint" />
          {t('inviteNeedsApproval')}
        </label>
        <button type="submit" disabled={busy}>{t('createInvite')}</button>
      </form>
      <p id="invite-approval-hint" className="muted small">{t('inviteNeedsApprovalHint')}</p>
      {made && (
        <>
          <LinkWithQr url={communityInviteUrl(made.token, name)} />
          <p className="muted small" data-testid="community-invite-terms">
            {t('inviteEnds', { time: fmt.dateTime(made.expiresAt) })}{made.maxUses !== null ? ` · ${t('communityInviteUses', { count: made.maxUses })}` : ''}
            {made.needsApproval ? ` · ${t('inviteNeedsApproval')}` : ''}
          </p>
        </>
      )}
      <ErrorLine error={error} />
    </div>
  );
}

/** #/community-join/<token>/<name>: what the community is (name, member count) and a Join button, or (R100) a request with a note. */
export function JoinCommunity({ client, token, hint }: { client: ParleyClient; token: string; hint: string | undefined }) {
  const { t } = useJoinI18n();
  const [preview, setPreview] = useState<CommunityInvitePreview | undefined>();
  const [mine, setMine] = useState(false);
  const [request, setRequest] = useState<CommunityJoinRequest | undefined>();
  const [error, run, busy] = useAction();
  useEffect(() => {
    run(async () => {
      const p = await client.communities.previewInvite(token);
      // Already in it? One community read, not the whole list (a non-member's read is not_found, R75).
      setMine(await client.communities.get(p.communityId).then(() => true, () => false));
      if (p.needsApproval) setRequest((await client.communities.joinRequests.mine()).find((r) => r.communityId === p.communityId && r.status === 'pending'));
      setPreview(p);
    });
  }, [client, token, run]);
  // R101: told when an admin decides: in, the community opens; declined, the screen says so.
  useEffect(() => client.on('community', (e) => {
    if (!request || e.joinRequest?.requestId !== request.requestId) return;
    if (e.joinRequest.status === 'approved') go(`/community/${request.communityId}`, { replace: true });
    else setRequest({ ...request, status: e.joinRequest.status });
  }), [client, request]);
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
            : preview.needsApproval
              ? <AskToJoin client={client} token={token} request={request} onRequest={setRequest} />
              : <button disabled={busy} onClick={() => run(() => goWhenDone(async () => {
                const joined = await client.communities.joinInvite(token);
                // R112: a private channel opens as the channel itself (R141: past the MLS size, its wrapped view).
                return joined.settings.wrapped ? `/private/${joined.communityId}` : joined.settings.channel ? `/chat/${joined.announcementsChatId}` : `/community/${joined.communityId}`;
              }, { replace: true }))}>
                {t('communityJoin')}
              </button>}
        </div>
      )}
      {!preview && !error && <div className="empty-state"><div className="spinner" role="status" aria-label={t('loading')} /></div>}
      <ErrorLine error={error} />
    </section>
  );
}

/** R100: a link that needs approval: a note and "Ask to join"; once sent, "Request sent" (or declined) and a way to take it back. */
function AskToJoin({ client, token, request, onRequest }: {
  client: ParleyClient; token: string; request: CommunityJoinRequest | undefined; onRequest: (r: CommunityJoinRequest | undefined) => void;
}) {
  const { t } = useJoinI18n();
  const [note, setNote] = useState('');
  const [cancelled, setCancelled] = useState(false);
  const [error, run, busy] = useAction();
  if (request?.status === 'pending') {
    return (
      <div className="stack" data-testid="join-request-sent">
        <p role="status">{t('joinRequestSent')}</p>
        <button type="button" className="secondary" disabled={busy} data-testid="join-request-cancel"
          onClick={() => run(async () => { await client.communities.joinRequests.cancel(request.requestId); setCancelled(true); onRequest(undefined); })}>{t('joinRequestCancel')}</button>
        <ErrorLine error={error} />
      </div>
    );
  }
  return (
    <form className="stack" onSubmit={(e) => { e.preventDefault(); run(async () => { setCancelled(false); onRequest(await client.communities.joinRequests.request(token, note)); }); }}>
      {request?.status === 'declined' && <p role="status" data-testid="join-request-declined">{t('joinRequestDeclined')}</p>}
      {cancelled && <p role="status">{t('joinRequestCancelled')}</p>}
      <p className="muted small">{t('joinNeedsApproval')}</p>
      <label className="field"><span>{t('joinNoteLabel')}</span>
        <textarea rows={2} maxLength={280} value={note} placeholder={t('joinNotePlaceholder')} onChange={(e) => setNote(e.target.value)} data-testid="join-request-note" />
      </label>
      <button type="submit" disabled={busy} data-testid="join-request-send">{t('joinAskButton')}</button>
      <ErrorLine error={error} />
    </form>
  );
}
