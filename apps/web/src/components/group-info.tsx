import { useMemo, useState } from 'react';
import type { KeyDirectory, ParleyClient } from '@parley/client';
import type { Member, Role } from '@parley/protocol';
import { exportChat, exportFileName, serializeExport } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { Avatar, colorFor } from './avatar.tsx';
import { ColorPicker } from './color-picker.tsx';
import { ErrorLine, useAction } from './error-line.tsx';
import { PanelHeader } from './panel-header.tsx';
import { InviteLinks } from './invite-links.tsx';
import { VerifyContact } from './verify-contact.tsx';
import { VirtualList } from './virtual-list.tsx';

const RANK: Record<Role, number> = { owner: 2, admin: 1, member: 0 };
/** A member row's height (styles.css `.virtual-list .member-row`) and the list box's, at most. */
const MEMBER_ROW_PX = 56;
const MEMBER_LIST_MAX_PX = 448;
/** Past this many members the panel offers a search. */
const FIND_FROM = 12;

/** Owners, admins, then members; by name within each. */
function sortMembers(members: readonly Member[]): Member[] {
  return [...members].sort((a, b) => RANK[b.role] - RANK[a.role] || a.displayName.localeCompare(b.displayName));
}

/** Members whose name, a word of it onwards, or handle starts with `query`. */
function findMembers(members: Member[], query: string): Member[] {
  const q = query.trim().toLowerCase().replace(/^@/, '');
  if (!q) return members;
  return members.filter((m) => {
    const name = m.displayName.toLowerCase();
    return m.handle?.startsWith(q) || name.startsWith(q) || name.split(/\s+/).some((_, i, words) => words.slice(i).join(' ').startsWith(q));
  });
}

/**
 * Members with roles; owners and admins manage the group (the server enforces the same rules). For a
 * direct chat: verifying the contact (safety number, QR) when a key directory is given.
 */
export function GroupInfo({ client, chatId, keys }: { client: ParleyClient; chatId: string; keys?: KeyDirectory | undefined }) {
  const { t } = useI18n();
  const chat = client.chat(chatId);
  const [name, setName] = useState(chat?.title ?? '');
  const [handle, setHandle] = useState('');
  const [find, setFind] = useState('');
  const [error, run, busy] = useAction();
  const members = useMemo(() => sortMembers(chat?.members ?? []), [chat?.members]);
  const shown = useMemo(() => findMembers(members, find), [members, find]);
  if (!chat) return null;
  const myRole = chat.members.find((m) => m.userId === client.userId)?.role ?? 'member';
  const canManage = chat.kind === 'group' && myRole !== 'member';
  const contact = chat.kind === 'direct' ? chat.members.find((m) => m.userId !== client.userId) : undefined;

  return (
    <section className="panel">
      <PanelHeader title={chat.title} backTo={`/chat/${chatId}`}><Avatar name={chat.title} color={chat.color} size={36} /></PanelHeader>
      {keys && contact && <VerifyContact keys={keys} myUserId={client.userId} contact={contact} />}
      {canManage && (
        <div className="card">
          <form className="row" onSubmit={(e) => { e.preventDefault(); if (name.trim()) run(() => client.renameChat(chatId, name.trim())); }}>
            <label className="grow">{t('groupName')}<input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required /></label>
            <button type="submit" disabled={busy || name.trim() === chat.title}>{t('rename')}</button>
          </form>
          <ColorPicker value={chat.color} onChange={(color) => run(() => client.setChatColor(chatId, color))} />
        </div>
      )}
      <div className="card">
        <h3>{t('members')} ({chat.members.length})</h3>
        {members.length > FIND_FROM && (
          <label>{t('membersFind')}<input type="search" value={find} onChange={(e) => setFind(e.target.value)} autoCapitalize="off" autoCorrect="off" spellCheck={false} /></label>
        )}
        {shown.length === 0 && <p className="muted small">{t('membersNoMatch', { query: find })}</p>}
        {/* Issue 12: only the rows in view are drawn, so a 5,000-member chat's panel opens and scrolls as a small one's. */}
        <VirtualList items={shown} rowPx={MEMBER_ROW_PX} maxPx={MEMBER_LIST_MAX_PX} className="members" testId="members-list" label={t('members')}
          itemKey={(m) => m.userId}
          render={(m) => <MemberRow member={m} me={client.userId} myRole={myRole}
            onRole={(role) => run(() => client.setRole(chatId, m.userId, role))}
            onRemove={() => run(() => client.removeMember(chatId, m.userId))} />} />
        {canManage && (
          <form className="row" onSubmit={(e) => {
            e.preventDefault();
            run(async () => {
              await client.addMember(chatId, (await client.findUser(handle)).userId);
              setHandle('');
            });
          }}>
            <label className="grow">{t('addMember')}
              <input value={handle} onChange={(e) => setHandle(e.target.value)} placeholder="@handle" autoCapitalize="off" autoCorrect="off" spellCheck={false} required />
            </label>
            <button type="submit" disabled={busy}>{t('add')}</button>
          </form>
        )}
      </div>
      {canManage && <InviteLinks client={client} chatId={chatId} members={chat.members} />}
      <div className="card">
        <h3>{t('exportHeading')}</h3>
        <p className="muted small">{t('exportChatHelp')}</p>
        <button disabled={busy} onClick={() => run(() => downloadExport(client, chatId))}>{t('exportChat')}</button>
      </div>
      <div className="card">
        <h3>{t('importHistory')}</h3>
        <p className="muted small">{t('importHelp')}</p>
        <button className="secondary" onClick={() => go(`/import/${chatId}`)}>{t('importHistory')}</button>
      </div>
      <ErrorLine error={error} />
      {chat.kind === 'group' && (
        <div className="card">
          <button className="danger" onClick={() => {
            if (confirm(t('confirmLeave', { name: chat.title }))) run(async () => { await client.leaveChat(chatId); go('/', { replace: true }); });
          }}>{t('leave')}</button>
        </div>
      )}
    </section>
  );
}

function MemberRow({ member: m, me, myRole, onRole, onRemove }: {
  member: Member; me: string; myRole: Role; onRole: (role: 'admin' | 'member') => void; onRemove: () => void;
}) {
  const { t } = useI18n();
  const isMe = m.userId === me;
  return (
    <div className="member-row" data-testid="member">
      <Avatar name={m.displayName} color={colorFor(m.userId)} size={32} />
      <span className="grow">
        {m.displayName}{isMe ? ` (${t('you')})` : ''}
        <br />
        <span className="muted small">{[m.handle ? `@${m.handle}` : '', m.role !== 'member' ? t(m.role) : ''].filter(Boolean).join(' · ')}</span>
      </span>
      {myRole === 'owner' && !isMe && m.role === 'member' && <button className="small secondary" onClick={() => onRole('admin')}>{t('makeAdmin')}</button>}
      {myRole === 'owner' && !isMe && m.role === 'admin' && <button className="small secondary" onClick={() => onRole('member')}>{t('makeMember')}</button>}
      {!isMe && RANK[myRole] > RANK[m.role] && myRole !== 'member' && (
        <button className="small danger" aria-label={`${t('remove')} ${m.displayName}`} onClick={onRemove}>{t('remove')}</button>
      )}
    </div>
  );
}

/**
 * The chat's whole history as a parley-chat-export JSON file (docs/EXPORT.md), made on this device and
 * handed to the browser as a download; nothing goes to the server. Older pages are fetched first so
 * the file is complete; offline, it holds what this device has and the error says why.
 */
async function downloadExport(client: ParleyClient, chatId: string): Promise<void> {
  let loadError: unknown;
  try {
    while (client.hasOlder(chatId)) await client.loadOlder(chatId);
  } catch (e) {
    loadError = e;
  }
  const chat = client.chat(chatId);
  if (!chat) return;
  const doc = exportChat({ chat, items: client.timeline(chatId), exportedBy: { userId: client.userId, deviceId: client.deviceId } });
  const url = URL.createObjectURL(new Blob([serializeExport(doc)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = exportFileName(doc);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  if (loadError !== undefined) throw loadError;
}
