import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go, useRoute } from '../state/use-client.ts';
import { Avatar } from './avatar.tsx';
import { ErrorLine, useAction } from './error-line.tsx';
import { LinkWithQr } from './qr.tsx';

export function GroupInfo({ client, chatId }: { client: ParleyClient; chatId: string }) {
  const { t } = useI18n();
  useRoute();
  const chat = client.chat(chatId);
  const [name, setName] = useState(chat?.name ?? '');
  const [handle, setHandle] = useState('');
  const [invite, setInvite] = useState<string | undefined>();
  const [error, run] = useAction();
  if (!chat) return null;
  const myRole = chat.members.find((m) => m.userId === client.userId)?.role ?? 'member';
  const canManage = myRole !== 'member';
  return (
    <section className="panel">
      <header className="chat-header">
        <button className="icon back" aria-label={t('back')} onClick={() => go(`/chat/${chatId}`)}>←</button>
        <Avatar name={chat.title} color={chat.color} size={36} />
        <h2>{chat.title}</h2>
      </header>
      {canManage && (
        <form className="card row" onSubmit={(e) => { e.preventDefault(); run(() => client.renameChat(chatId, name)); }}>
          <input value={name} onChange={(e) => setName(e.target.value)} aria-label={t('groupName')} maxLength={100} />
          <button type="submit">{t('rename')}</button>
        </form>
      )}
      <div className="card">
        <h3>{t('members')} ({chat.members.length})</h3>
        <ul className="members">
          {chat.members.map((m) => (
            <li key={m.userId}>
              <Avatar name={m.displayName} color="#90a4ae" size={28} />
              <span className="grow">{m.displayName} <span className="muted">@{m.handle}{m.role !== 'member' ? ` · ${t(m.role)}` : ''}{m.userId === client.userId ? ` · ${t('you')}` : ''}</span></span>
              {myRole === 'owner' && m.role === 'member' && <button className="small" onClick={() => run(() => client.setRole(chatId, m.userId, 'admin'))}>{t('makeAdmin')}</button>}
              {canManage && m.userId !== client.userId && m.role !== 'owner' && (myRole === 'owner' || m.role === 'member') && (
                <button className="small danger" onClick={() => run(() => client.removeMember(chatId, m.userId))}>{t('remove')}</button>
              )}
            </li>
          ))}
        </ul>
        {canManage && (
          <form className="row" onSubmit={(e) => { e.preventDefault(); run(async () => {
            await client.addMember(chatId, (await client.findUser(handle)).userId);
            setHandle('');
          }); }}>
            <input value={handle} onChange={(e) => setHandle(e.target.value)} placeholder="@handle" aria-label={t('addMember')} autoCapitalize="off" />
            <button type="submit">{t('add')}</button>
          </form>
        )}
      </div>
      {canManage && (
        <div className="card">
          <h3>{t('inviteLink')}</h3>
          {invite ? <LinkWithQr url={invite} /> : (
            <button onClick={() => run(async () => setInvite(`${location.origin}/#/join/${(await client.createInvite(chatId)).token}`))}>{t('createInvite')}</button>
          )}
        </div>
      )}
      <div className="card">
        <button className="danger" onClick={() => run(async () => { await client.leaveChat(chatId); go('/'); })}>{t('leave')}</button>
      </div>
      <ErrorLine error={error} />
    </section>
  );
}

export function JoinInvite({ client, token }: { client: ParleyClient; token: string }) {
  const { t } = useI18n();
  const [preview, setPreview] = useState<{ name: string; memberCount: number; color: string } | undefined>();
  const [error, run] = useAction();
  const [asked, setAsked] = useState(false);
  if (!asked) {
    setAsked(true);
    run(async () => setPreview(await client.previewInvite(token)));
  }
  return (
    <section className="panel">
      <header className="chat-header">
        <button className="icon back" aria-label={t('back')} onClick={() => go('/')}>←</button>
        <h2>{t('inviteLink')}</h2>
      </header>
      {preview && (
        <div className="card center">
          <Avatar name={preview.name} color={preview.color} size={64} />
          <p>{t('joinGroup', { name: preview.name, count: preview.memberCount })}</p>
          <button onClick={() => run(async () => go(`/chat/${(await client.joinInvite(token)).chatId}`))}>{t('join')}</button>
        </div>
      )}
      <ErrorLine error={error} />
    </section>
  );
}
