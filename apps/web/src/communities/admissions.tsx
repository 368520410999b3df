import type { ParleyClient } from '@parley/client';
import type { Community, CommunityMember } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { ErrorLine, useAction } from '../components/error-line.tsx';

/** The community's announcements chat as this device holds it (every member is in it). */
function announcementsOf(client: ParleyClient, communityId: string): string | undefined {
  return client.chats().find((c) => c.community?.communityId === communityId && c.community.kind === 'announcements')?.chatId;
}

/**
 * R155: this person is in the community with no admin's word for it yet (a link opened without its
 * key, or a membership the server made alone): members' devices hold what they send until an admin
 * admits them. A plain banner, on the community's page and in its chats; read at each render.
 */
export function AwaitingAdmission({ client, communityId }: { client: ParleyClient; communityId: string }) {
  const { t } = useI18n();
  const chatId = announcementsOf(client, communityId);
  if (!chatId || !client.communities.awaitingAdmission(chatId)) return null;
  return <p className="notice" role="status" data-testid="awaiting-admission">{t('admissionAwaiting')}</p>;
}

/**
 * R152/R155: for holders of `invite`, the members this device finds no admin's word for, each with
 * Admit (this admin's signed admission in the announcements chat, which every member's device reads).
 */
export function NotAdmitted({ client, community, members }: { client: ParleyClient; community: Community; members: readonly CommunityMember[] }) {
  const { t } = useI18n();
  const [error, run, busy] = useAction();
  const ids = client.communities.notAdmitted(community.announcementsChatId);
  if (ids.length === 0) return null;
  const name = (id: string) => members.find((m) => m.userId === id)?.displayName ?? id;
  const mayAdmit = community.me.role === 'owner' || community.me.rights.includes('invite');
  return (
    <div className="notice" role="region" aria-label={t('admissionNotAdmittedTitle')} data-testid="not-admitted">
      <h4>{t('admissionNotAdmittedTitle')}</h4>
      <p className="small">{t('admissionNotAdmittedHint')}</p>
      <ul className="members">
        {ids.map((id) => (
          <li key={id} className="member-line" data-testid="not-admitted-member">
            <span className="grow">{name(id)}</span>
            {mayAdmit && <button className="small" disabled={busy} aria-label={t('admissionAdmitMember', { name: name(id) })}
              onClick={() => run(() => client.communities.admit(community.communityId, id))}>{t('admissionAdmit')}</button>}
          </li>
        ))}
      </ul>
      <ErrorLine error={error} />
    </div>
  );
}
