import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go, goWhenDone } from '../state/use-client.ts';
import { PALETTE } from './avatar.tsx';
import { ColorPicker } from './color-picker.tsx';
import { ErrorLine, useAction } from './error-line.tsx';
import { PanelHeader } from './panel-header.tsx';

const handlesIn = (text: string) => [...new Set(text.split(/[\s,;]+/).map((h) => h.replace(/^@/, '').toLowerCase()).filter(Boolean))];

export function NewChat({ client }: { client: ParleyClient }) {
  const { t } = useI18n();
  const [handle, setHandle] = useState('');
  const [name, setName] = useState('');
  const [color, setColor] = useState<string>(PALETTE[3]);
  const [members, setMembers] = useState('');
  const [directError, runDirect, directBusy] = useAction();
  const [groupError, runGroup, groupBusy] = useAction();
  return (
    <section className="panel">
      <PanelHeader title={t('newChat')} />
      <form className="card" onSubmit={(e) => {
        e.preventDefault();
        runDirect(() => goWhenDone(async () => {
          const user = await client.findUser(handle);
          return `/chat/${(await client.openDirect(user.userId)).chatId}`;
        }));
      }}>
        <label>{t('findByHandle')}
          <input value={handle} onChange={(e) => setHandle(e.target.value)} placeholder="@handle" autoCapitalize="off" autoCorrect="off" spellCheck={false} required />
        </label>
        <button type="submit" disabled={directBusy}>{t('start')}</button>
        <button type="button" className="secondary" disabled={directBusy}
          onClick={() => runDirect(() => goWhenDone(async () => `/chat/${(await client.openDirect(client.userId)).chatId}`))}>
          {t('savedMessages')}
        </button>
        <ErrorLine error={directError} />
      </form>
      <form className="card" onSubmit={(e) => {
        e.preventDefault();
        runGroup(() => goWhenDone(async () => {
          const ids = await Promise.all(handlesIn(members).map(async (h) => (await client.findUser(h)).userId));
          const chat = await client.createGroup({ name: name.trim(), color, memberIds: ids.filter((id) => id !== client.userId) });
          return `/chat/${chat.chatId}`;
        }));
      }}>
        <h3>{t('newGroup')}</h3>
        <label>{t('groupName')}<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} /></label>
        <ColorPicker value={color} onChange={setColor} />
        <label>{t('addMembers')}
          <input value={members} onChange={(e) => setMembers(e.target.value)} placeholder="@ann @ben" autoCapitalize="off" autoCorrect="off" spellCheck={false} />
        </label>
        <button type="submit" disabled={groupBusy}>{t('create')}</button>
        <ErrorLine error={groupError} />
      </form>
      <div className="card">
        <h3>{t('communityNew')}</h3>
        <p className="muted small">{t('communityNewHint')}</p>
        <button type="button" className="secondary" onClick={() => go('/new-community')}>{t('communityNew')}</button>
      </div>
      <div className="card">
        <h3>{t('chNew')}</h3>
        <p className="muted small">{t('chCreateNote')}</p>
        <div className="actions">
          <button type="button" className="secondary" onClick={() => go('/new-channel')}>{t('chNew')}</button>
          <button type="button" className="secondary" onClick={() => go('/channels')}>{t('chFind')}</button>
        </div>
      </div>
      <div className="card">
        <h3>{t('importHistory')}</h3>
        <p className="muted small">{t('importNewHelp')}</p>
        <button type="button" className="secondary" onClick={() => go('/import/new')}>{t('importHistory')}</button>
      </div>
    </section>
  );
}
