import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { ErrorLine, useAction } from './error-line.tsx';

export function NewChat({ client }: { client: ParleyClient }) {
  const { t } = useI18n();
  const [handle, setHandle] = useState('');
  const [name, setName] = useState('');
  const [members, setMembers] = useState('');
  const [error, run] = useAction();
  return (
    <section className="panel">
      <header className="chat-header">
        <button className="icon back" aria-label={t('back')} onClick={() => go('/')}>←</button>
        <h2>{t('newChat')}</h2>
      </header>
      <form className="card" onSubmit={(e) => { e.preventDefault(); run(async () => {
        const user = await client.findUser(handle);
        const chat = await client.openDirect(user.userId);
        go(`/chat/${chat.chatId}`);
      }); }}>
        <label>{t('findByHandle')}<input value={handle} onChange={(e) => setHandle(e.target.value)} placeholder="@handle" autoCapitalize="off" required /></label>
        <button type="submit">{t('start')}</button>
      </form>
      <form className="card" onSubmit={(e) => { e.preventDefault(); run(async () => {
        const handles = members.split(/[\s,]+/).filter(Boolean);
        const ids = await Promise.all(handles.map(async (h) => (await client.findUser(h)).userId));
        const chat = await client.createGroup({ name, memberIds: ids });
        go(`/chat/${chat.chatId}`);
      }); }}>
        <h3>{t('newGroup')}</h3>
        <label>{t('groupName')}<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} /></label>
        <label>{t('addMembers')}<input value={members} onChange={(e) => setMembers(e.target.value)} autoCapitalize="off" /></label>
        <button type="submit">{t('create')}</button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}
