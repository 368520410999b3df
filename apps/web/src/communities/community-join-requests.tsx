import { useCallback } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Community, CommunityJoinRequest } from '@parley/protocol';
import { useJoinI18n } from './join-text.ts';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { useCommunityData } from './use-community.ts';

/**
 * R101 for holders of the `invite` right: who asked to join through a link that needs approval,
 * with their note, oldest first, and Approve / Decline. The list is read again on each
 * `community_join_request` (a new request, or another admin's decision).
 */
export function CommunityJoinRequests({ client, community }: { client: ParleyClient; community: Community }) {
  const { t, fmt } = useJoinI18n();
  const id = community.communityId;
  const load = useCallback(() => client.communities.joinRequests.pending(id), [client, id]);
  const { value: requests, error: loadError, reload } = useCommunityData<CommunityJoinRequest[]>(client, load, id);
  const [error, run, busy] = useAction();
  const decide = (r: CommunityJoinRequest, approve: boolean) => run(async () => {
    await (approve ? client.communities.joinRequests.approve(id, r.requestId) : client.communities.joinRequests.decline(id, r.requestId));
    await reload();
  });
  return (
    <div className="card" data-testid="community-join-requests">
      <h3>{t('joinRequestsTitle')}{requests?.length ? ` · ${requests.length}` : ''}</h3>
      <ErrorLine error={loadError ?? error} />
      {requests?.length === 0 && <p className="muted small">{t('joinRequestsNone')}</p>}
      <ul className="report-list">
        {requests?.map((r) => (
          <li key={r.requestId} className="report" data-testid="join-request">
            <p><strong>{r.displayName}</strong>{r.handle ? <span className="muted"> @{r.handle}</span> : null}</p>
            {r.note && <blockquote className="report-text" data-testid="join-request-note">{r.note}</blockquote>}
            <p className="muted small">{t('joinRequestAsked', { when: fmt.dateTime(r.createdAt) })}</p>
            <div className="row">
              <button type="button" className="small" disabled={busy} data-testid="join-request-approve"
                aria-label={`${t('joinRequestApprove')}: ${r.displayName}`} onClick={() => decide(r, true)}>{t('joinRequestApprove')}</button>
              <button type="button" className="secondary small" disabled={busy} data-testid="join-request-decline"
                aria-label={`${t('joinRequestDecline')}: ${r.displayName}`} onClick={() => decide(r, false)}>{t('joinRequestDecline')}</button>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
