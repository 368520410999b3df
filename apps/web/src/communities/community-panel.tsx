import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { MAX_DESCRIPTION_CHARS, type Community, type CommunityChat } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { go, goWhenDone } from '../state/use-client.ts';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { AwaitingAdmission } from './admissions.tsx';
import { CommunityInvites } from './community-invites.tsx';
import { CommunityJoinRequests } from './community-join-requests.tsx';
import { CommunityReports } from './community-reports.tsx';
import { chatName, communityName, mayDo, useCommunity } from './use-community.ts';
import { DiscussionSettings } from '../channels/comments.tsx';
import { useChannelI18n } from '../channels/text.ts';

/**
 * #/community/<id>: a community's chats (announcements, general, topics) with one-tap Join for open
 * ones (R68), and what the person's rights allow: manage chats (R67), invite (R68), settings (R66),
 * leave (R71). Members and roles are on #/community/<id>/members.
 */
export function CommunityPanel({ client, communityId }: { client: ParleyClient; communityId: string }) {
  const { t } = useChannelI18n();
  const { value, error: loadError, reload } = useCommunity(client, communityId);
  const [error, run, busy] = useAction();
  if (!value) {
    return (
      <section className="panel">
        <PanelHeader title={t('community')} />
        {loadError ? <ErrorLine error={loadError} /> : <div className="empty-state"><div className="spinner" role="status" aria-label={t('loading')} /></div>}
      </section>
    );
  }
  const { community, chats } = value;
  const name = communityName(t, client, community);
  const description = client.communities.description(community);
  const act = (fn: () => Promise<unknown>) => run(async () => { await fn(); await reload(); });
  return (
    <section className="panel" aria-label={name}>
      <PanelHeader title={name}>
        <span className="avatar community-avatar" style={{ width: 36, height: 36 }} aria-hidden="true"><Icon name="community" /></span>
      </PanelHeader>
      <AwaitingAdmission client={client} communityId={communityId} />
      <div className="card">
        <p className="muted small community-facts" data-testid="community-facts">
          {t('membersCount', { count: community.memberCount })} · {t('communityYouAre', { role: t(community.me.role) })}
          {community.settings.roleLabels === 'school' ? ` · ${t('communitySchool')}` : ''}
        </p>
        {community.settings.channel && <p className="channel-kind" role="note" data-testid="channel-kind"><Icon name="megaphone" size={16} /> {t(community.settings.wrapped ? 'chKindWrapped' : 'chKindPrivate')}</p>}
        {community.settings.wrapped && <button className="secondary" onClick={() => go(`/private/${communityId}`)}>{t('chWrappedOpen')}</button>}
        {description && <p className="community-description" data-testid="community-description">{description}</p>}
        <button className="secondary" onClick={() => go(`/community/${communityId}/members`)}>{t('communityMembersButton')}</button>
      </div>
      <div className="card" data-testid="community-chats">
        <h3>{t('communityChats')}</h3>
        <ul className="community-chats">
          {chats.map((chat) => (
            <ChatRow key={chat.chatId} client={client} community={community} chat={chat} busy={busy} act={act} />
          ))}
        </ul>
        {mayDo(community, 'manageChats') && <NewTopic busy={busy} onCreate={(topic, open) => act(() => client.communities.createChat(communityId, { name: topic, open }))} />}
        <ErrorLine error={error} />
      </div>
      {(mayDo(community, 'ban') || mayDo(community, 'deleteMessages')) && <CommunityReports client={client} community={community} />}
      {community.settings.channel && mayDo(community, 'manageChats') && <DiscussionSettings client={client} of={{ communityId }} />}
      {mayDo(community, 'invite') && <CommunityJoinRequests client={client} community={community} />}
      {mayDo(community, 'invite') && <CommunityInvites client={client} communityId={communityId} name={name} />}
      {(community.me.role === 'owner' || mayDo(community, 'manageChats')) && <CommunitySettings key={`${name}\n${description ?? ''}`} client={client} community={community} name={name} description={description ?? ''} onSaved={reload} />}
      <div className="card">
        {community.me.role === 'owner' ? <p className="muted small">{t('communityOwnerLeaveHint')}</p> : (
          <button className="danger" disabled={busy} onClick={() => {
            if (confirm(t('communityConfirmLeave', { name }))) run(async () => { await client.communities.leave(communityId); go('/', { replace: true }); });
          }}>{t('communityLeave')}</button>
        )}
      </div>
    </section>
  );
}

/** R82: the slow-mode intervals offered (ms; 0 is off). */
const SLOW_MODES = [0, 10_000, 30_000, 60_000, 300_000] as const;

function ChatRow({ client, community, chat, busy, act }: {
  client: ParleyClient; community: Community; chat: CommunityChat; busy: boolean; act: (fn: () => Promise<unknown>) => void;
}) {
  const { t } = useI18n();
  const [renaming, setRenaming] = useState<string | undefined>();
  const name = chatName(t, client, community, chat);
  const id = community.communityId;
  const manage = mayDo(community, 'manageChats');
  const kind = t('communityTopic');
  // A joined chat's members are known live on this device (joins to a chat send no community event).
  const count = (chat.joined ? client.chat(chat.chatId)?.members.length : undefined) ?? chat.memberCount;
  return (
    <li data-testid="community-chat" data-kind={chat.kind}>
      <span className="avatar community-avatar small-avatar" aria-hidden="true"><Icon name={chat.kind === 'announcements' ? 'megaphone' : 'compose'} size={16} /></span>
      <span className="grow">
        {chat.joined
          ? <button className="link-button chat-link" onClick={() => go(`/chat/${chat.chatId}`)}>{name}</button>
          : <span className="chat-link-name">{name}</span>}
        <br />
        <span className="muted small">
          {chat.kind === 'topic' ? `${kind} · ` : ''}{t('membersCount', { count })}{chat.open || chat.kind === 'announcements' ? '' : ` · ${t('communityClosed')}`}
          {!chat.joined && name === t('communityTopicUnnamed') ? ` · ${t('communityNameAfterJoin')}` : ''}
        </span>
        {renaming !== undefined && (
          <form className="row" onSubmit={(e) => { e.preventDefault(); const n = renaming.trim(); if (n) { setRenaming(undefined); act(() => client.communities.renameChat(id, chat.chatId, n)); } }}>
            <label className="grow">{t('communityChatName')}<input value={renaming} onChange={(e) => setRenaming(e.target.value)} maxLength={100} required autoFocus /></label>
            <button type="submit" className="small" disabled={busy}>{t('rename')}</button>
            <button type="button" className="small secondary" onClick={() => setRenaming(undefined)}>{t('cancel')}</button>
          </form>
        )}
      </span>
      <span className="community-chat-actions">
        {chat.joined
          ? <button className="small secondary" aria-label={t('communityOpenChat', { name })} onClick={() => go(`/chat/${chat.chatId}`)}>{t('communityOpen')}</button>
          : chat.open && <button className="small" disabled={busy} aria-label={t('communityJoinChat', { name })}
            onClick={() => act(() => goWhenDone(async () => `/chat/${(await client.communities.joinChat(id, chat.chatId)).chatId}`))}>{t('join')}</button>}
        {manage && chat.joined && chat.kind !== 'announcements' && renaming === undefined && (
          <button className="small secondary" aria-label={t('communityRenameChat', { name })} onClick={() => setRenaming(name)}>{t('rename')}</button>
        )}
        {manage && chat.kind !== 'announcements' && (
          <button className="small secondary" disabled={busy} aria-label={t(chat.open ? 'communityCloseChat' : 'communityOpenUp', { name })}
            onClick={() => act(() => client.communities.setChatOpen(id, chat.chatId, !chat.open))}>{t(chat.open ? 'communityCloseShort' : 'communityOpenShort')}</button>
        )}
        {manage && chat.joined && chat.kind !== 'announcements' && (
          <select className="small" aria-label={t('slowModeFor', { name })} data-testid="slow-mode" disabled={busy}
            value={String(client.chat(chat.chatId)?.community?.slowModeMs ?? 0)}
            onChange={(e) => act(() => client.communities.setSlowMode(id, chat.chatId, Number(e.target.value)))}>
            {SLOW_MODES.map((ms) => <option key={ms} value={String(ms)}>{ms === 0 ? t('slowModeOff') : t('slowModeEvery', { seconds: ms / 1000 })}</option>)}
          </select>
        )}
        {manage && chat.kind === 'topic' && (
          <button className="small danger" disabled={busy} aria-label={t('communityDeleteChat', { name })}
            onClick={() => { if (confirm(t('communityConfirmDeleteChat', { name }))) act(() => client.communities.deleteChat(id, chat.chatId)); }}>{t('delete')}</button>
        )}
      </span>
    </li>
  );
}

function NewTopic({ busy, onCreate }: { busy: boolean; onCreate: (name: string, open: boolean) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [open, setOpen] = useState(true);
  return (
    <form className="row narrow-stack" data-testid="new-topic" onSubmit={(e) => { e.preventDefault(); if (name.trim()) { onCreate(name.trim(), open); setName(''); } }}>
      <label className="grow">{t('communityNewTopic')}<input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required /></label>
      <label className="check"><input type="checkbox" checked={open} onChange={(e) => setOpen(e.target.checked)} />{t('communityTopicOpen')}</label>
      <button type="submit" disabled={busy}>{t('create')}</button>
    </form>
  );
}

/**
 * R66: the name and R79: the description (end-to-end encrypted: a `chat_info` in the announcements
 * chat, so they take `postAnnouncements` too), and the school labels setting.
 */
function CommunitySettings({ client, community, name, description, onSaved }: {
  client: ParleyClient; community: Community; name: string; description: string; onSaved: () => Promise<void>;
}) {
  const { t } = useI18n();
  const [newName, setNewName] = useState(name);
  const [newDescription, setNewDescription] = useState(description);
  const [error, run, busy] = useAction();
  const id = community.communityId;
  const school = community.settings.roleLabels === 'school';
  const changed = newName.trim() !== name || newDescription.trim() !== description;
  return (
    <div className="card" data-testid="community-settings">
      <h3>{t('communitySettings')}</h3>
      {mayDo(community, 'postAnnouncements') && (
        <form className="stack" onSubmit={(e) => {
          e.preventDefault();
          if (!newName.trim()) return;
          run(async () => {
            await client.communities.update(id, {
              ...(newName.trim() !== name ? { name: newName.trim() } : {}),
              ...(newDescription.trim() !== description ? { description: newDescription.trim() } : {}),
            });
            await onSaved();
          });
        }}>
          <label>{t('communityName')}<input value={newName} onChange={(e) => setNewName(e.target.value)} maxLength={100} required /></label>
          <label>{t('communityDescription')}
            <textarea value={newDescription} onChange={(e) => setNewDescription(e.target.value)} maxLength={MAX_DESCRIPTION_CHARS} rows={3} />
          </label>
          <button type="submit" disabled={busy || !changed}>{t('save')}</button>
        </form>
      )}
      <label className="check">
        <input type="checkbox" checked={school} disabled={busy}
          onChange={(e) => run(async () => { await client.communities.update(id, { settings: { roleLabels: e.target.checked ? 'school' : 'none' } }); await onSaved(); })} />
        {t('communitySchoolLabels')}
      </label>
      {school && (
        <label className="check">
          <input type="checkbox" checked={community.settings.studentsMayDm} disabled={busy}
            onChange={(e) => run(async () => { await client.communities.update(id, { settings: { studentsMayDm: e.target.checked } }); await onSaved(); })} />
          {t('communityStudentsMayDm')}
        </label>
      )}
      <ErrorLine error={error} />
    </div>
  );
}
