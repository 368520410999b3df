import { useCallback, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { ALL_COMMUNITY_RIGHTS, type Community, type CommunityLabel, type CommunityMember, type CommunityMute, type CommunityRight, type Role } from '@parley/protocol';
import { useChunkI18n } from '../i18n/chunk-text.ts';
import { enCommunityMembers } from '../i18n/en-community-members.ts';
import { ruCommunityMembers } from '../i18n/ru-community-members.ts';
import { Avatar, colorFor } from '../components/avatar.tsx';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { NotAdmitted } from './admissions.tsx';
import { communityName, mayDo, useCommunity, useCommunityMembers, useCommunityData } from './use-community.ts';

const RANK: Record<Role, number> = { owner: 2, admin: 1, member: 0 };
const LABELS: readonly CommunityLabel[] = ['teacher', 'parent', 'student'];
const RIGHT_KEY = {
  postAnnouncements: 'rightPostAnnouncements', deleteMessages: 'rightDeleteMessages', ban: 'rightBan',
  invite: 'rightInvite', manageChats: 'rightManageChats', pin: 'rightPin',
} as const satisfies Record<CommunityRight, string>;
const LABEL_KEY = { teacher: 'labelTeacher', parent: 'labelParent', student: 'labelStudent' } as const satisfies Record<CommunityLabel, string>;

/**
 * #/community/<id>/members: members with role, rights and label (R70). The owner changes roles,
 * rights and labels and hands the community over; holders of `ban` remove and ban those below them
 * (R71). The server checks the same; the buttons only show what it would allow.
 */
export function CommunityMembers({ client, communityId }: { client: ParleyClient; communityId: string }) {
  const { t } = useChunkI18n(enCommunityMembers, ruCommunityMembers);
  const { value } = useCommunity(client, communityId);
  const { value: members, error: loadError, reload: reloadMembers } = useCommunityMembers(client, communityId);
  // R82: who is muted, for those who may mute (the `ban` right).
  const mayMute = value?.community ? mayDo(value.community, 'ban') : false;
  const loadMutes = useCallback(async () => (mayMute ? client.communities.mutes(communityId) : []), [client, communityId, mayMute]);
  const { value: mutes, reload: reloadMutes } = useCommunityData<CommunityMute[]>(client, loadMutes, communityId);
  const reload = async () => { await reloadMembers(); await reloadMutes(); };
  const [error, run, busy] = useAction();
  const community = value?.community;
  const name = community ? communityName(t, client, community) : t('community');
  const sorted = [...(members ?? [])].sort((a, b) => RANK[b.role] - RANK[a.role] || a.displayName.localeCompare(b.displayName));
  const act = (fn: () => Promise<unknown>) => run(async () => { await fn(); await reload(); });
  return (
    <section className="panel" aria-label={t('communityMembersOf', { name })}>
      <PanelHeader title={t('communityMembersOf', { name })} backTo={`/community/${communityId}`} />
      <div className="card">
        <h3>{t('members')} {members ? `(${members.length})` : ''}</h3>
        {community && <RightsDisputes client={client} community={community} members={members ?? []} />}
        {community && <NotAdmitted client={client} community={community} members={members ?? []} />}
        {!members && !loadError && <div className="spinner" role="status" aria-label={t('loading')} />}
        <ErrorLine error={loadError} />
        {community && (
          <ul className="members">
            {sorted.map((m) => <MemberRow key={m.userId} client={client} community={community} member={m} busy={busy} act={act}
              mutedUntil={mutes?.find((x) => x.userId === m.userId && x.untilMs > Date.now())?.untilMs} />)}
          </ul>
        )}
        <ErrorLine error={error} />
      </div>
    </section>
  );
}

/** R138: where the server's list of rights differs from the owner's signed one; this device goes by the signed one. */
function RightsDisputes({ client, community, members }: { client: ParleyClient; community: Community; members: readonly CommunityMember[] }) {
  const { t } = useChunkI18n(enCommunityMembers, ruCommunityMembers);
  const ids = client.communities.rightsDisputes(community.announcementsChatId);
  if (ids.length === 0) return null;
  const names = ids.map((id) => members.find((m) => m.userId === id)?.displayName ?? id).join(', ');
  return <p className="error" role="status" data-testid="rights-disputed">{t('rightsDisputed', { names })}</p>;
}

function MemberRow({ client, community, member: m, busy, act, mutedUntil }: {
  client: ParleyClient; community: Community; member: CommunityMember; busy: boolean; act: (fn: () => Promise<unknown>) => void; mutedUntil: number | undefined;
}) {
  const { t, fmt } = useChunkI18n(enCommunityMembers, ruCommunityMembers);
  const [editing, setEditing] = useState(false);
  const isMe = m.userId === client.userId;
  const id = community.communityId;
  const owner = community.me.role === 'owner';
  const mayRemove = !isMe && mayDo(community, 'ban') && RANK[community.me.role] > RANK[m.role];
  const facts = [
    m.handle ? `@${m.handle}` : '',
    m.role !== 'member' ? t(m.role) : '',
    m.label ? t(LABEL_KEY[m.label]) : '',
    m.role === 'admin' ? m.rights.map((r) => t(RIGHT_KEY[r])).join(', ') || t('rightsNone') : '',
  ].filter(Boolean).join(' · ');
  return (
    <li data-testid="community-member" className="community-member">
      <div className="member-line">
        <Avatar name={m.displayName} color={colorFor(m.userId)} size={32} />
        <span className="grow">
          {m.displayName}{isMe ? ` (${t('you')})` : ''}
          <br />
          <span className="muted small">{facts}</span>
        </span>
        {owner && !isMe && !editing && (
          <button className="small secondary" aria-label={t('communityChangeMember', { name: m.displayName })} aria-expanded={false}
            onClick={() => setEditing(true)}>{t('communityChange')}</button>
        )}
      </div>
      {editing && <MemberEditor community={community} member={m} busy={busy} onCancel={() => setEditing(false)}
        onSave={(change) => { setEditing(false); act(() => client.communities.setMember(id, m.userId, change)); }}
        onHandover={() => {
          if (confirm(t('communityConfirmHandover', { name: m.displayName }))) {
            setEditing(false);
            act(() => client.communities.transfer(id, m.userId, 'admin'));
          }
        }} />}
      {mayRemove && (
        <div className="member-actions">
          <button className="small danger" disabled={busy} aria-label={t('communityRemoveMember', { name: m.displayName })}
            onClick={() => { if (confirm(t('communityConfirmRemove', { name: m.displayName }))) act(() => client.communities.remove(id, m.userId)); }}>{t('remove')}</button>
          <button className="small danger" disabled={busy} aria-label={t('communityBanMember', { name: m.displayName })}
            onClick={() => { if (confirm(t('communityConfirmBan', { name: m.displayName }))) act(() => client.communities.ban(id, m.userId)); }}>{t('communityBan')}</button>
          {mutedUntil !== undefined ? (
            <>
              <span className="muted small" data-testid="muted-until">{t('mutedUntil', { time: fmt.dateTime(mutedUntil) })}</span>
              <button className="small secondary" disabled={busy} aria-label={t('unmuteMember', { name: m.displayName })} onClick={() => act(() => client.communities.unmute(id, m.userId))}>{t('unmuteAction')}</button>
            </>
          ) : (
            <select className="small" disabled={busy} aria-label={t('muteMember', { name: m.displayName })} data-testid="mute-select" value=""
              onChange={(e) => { const ms = Number(e.target.value); if (ms > 0) act(() => client.communities.mute(id, m.userId, Date.now() + ms)); }}>
              <option value="">{t('muteMenu')}</option>
              {MUTE_FOR.map(([ms, key]) => <option key={ms} value={String(ms)}>{t(key)}</option>)}
            </select>
          )}
        </div>
      )}
    </li>
  );
}

/** R82: how long a member can be muted for from here (the server's limit is PARLEY_MAX_MUTE_MS). */
const MUTE_FOR = [[3_600_000, 'muteHour'], [86_400_000, 'muteDay'], [7 * 86_400_000, 'muteWeek']] as const;

type Change = { role: 'admin' | 'member'; rights: CommunityRight[]; label?: CommunityLabel | null };

/** The owner's editor for one member: role, an admin's rights, a school label; and the handover. */
function MemberEditor({ community, member, busy, onSave, onCancel, onHandover }: {
  community: Community; member: CommunityMember; busy: boolean; onSave: (c: Change) => void; onCancel: () => void; onHandover: () => void;
}) {
  const { t } = useChunkI18n(enCommunityMembers, ruCommunityMembers);
  const [role, setRole] = useState<'admin' | 'member'>(member.role === 'admin' ? 'admin' : 'member');
  const [rights, setRights] = useState<CommunityRight[]>(member.rights);
  const [label, setLabel] = useState<CommunityLabel | ''>(member.label ?? '');
  const school = community.settings.roleLabels === 'school';
  return (
    <form className="member-editor" aria-label={t('communityChangeMember', { name: member.displayName })}
      onSubmit={(e) => { e.preventDefault(); onSave({ role, rights: role === 'admin' ? rights : [], ...(school ? { label: label || null } : {}) }); }}>
      <label>{t('communityRole')}
        <select value={role} onChange={(e) => setRole(e.target.value === 'admin' ? 'admin' : 'member')}>
          <option value="member">{t('communityRoleMember')}</option>
          <option value="admin">{t('communityRoleAdmin')}</option>
        </select>
      </label>
      {role === 'admin' && (
        <fieldset className="rights">
          <legend>{t('communityRights')}</legend>
          {ALL_COMMUNITY_RIGHTS.map((r) => (
            <label key={r} className="check">
              <input type="checkbox" checked={rights.includes(r)} onChange={(e) => setRights(e.target.checked ? [...rights, r] : rights.filter((x) => x !== r))} />
              {t(RIGHT_KEY[r])}
            </label>
          ))}
        </fieldset>
      )}
      {school && (
        <label>{t('communityLabel')}
          <select value={label} onChange={(e) => setLabel(LABELS.find((l) => l === e.target.value) ?? '')}>
            <option value="">{t('labelNone')}</option>
            {LABELS.map((l) => <option key={l} value={l}>{t(LABEL_KEY[l])}</option>)}
          </select>
        </label>
      )}
      <div className="row">
        <button type="submit" className="small" disabled={busy}>{t('save')}</button>
        <button type="button" className="small secondary" onClick={onCancel}>{t('cancel')}</button>
        <button type="button" className="small secondary" disabled={busy} onClick={onHandover}>{t('communityHandover')}</button>
      </div>
    </form>
  );
}
