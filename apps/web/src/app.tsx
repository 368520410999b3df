import { useEffect, useMemo, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { ChatList } from './components/chat-list.tsx';
import { ChatView } from './components/chat-view.tsx';
import { GroupInfo, JoinInvite } from './components/group-info.tsx';
import { NewChat } from './components/new-chat.tsx';
import { Settings, type Theme } from './components/settings.tsx';
import { ErrorLine, useAction } from './components/error-line.tsx';
import { I18n, detectLocale, translator, useI18n, type Locale } from './i18n/index.ts';
import { RecoveryCode, Welcome } from './screens/welcome.tsx';
import { resume, signOut } from './state/session.ts';
import { go, useClientState, useRoute } from './state/use-client.ts';

export function App() {
  const [locale, setLocaleState] = useState<Locale>(detectLocale);
  const [theme, setThemeState] = useState<Theme>(() => (localStorage.getItem('parley.theme') as Theme | null) ?? 'system');
  const [client, setClient] = useState<ParleyClient | undefined | 'loading'>('loading');
  const [recoveryCode, setRecoveryCode] = useState<string | undefined>();
  const i18n = useMemo(() => ({
    t: translator(locale),
    locale,
    setLocale: (l: Locale) => { localStorage.setItem('parley.locale', l); setLocaleState(l); },
  }), [locale]);

  useEffect(() => { document.documentElement.lang = locale; }, [locale]);
  useEffect(() => { document.documentElement.dataset['theme'] = theme; }, [theme]);
  useEffect(() => { void resume().then(setClient, () => setClient(undefined)); }, []);

  const setTheme = (t: Theme) => { localStorage.setItem('parley.theme', t); setThemeState(t); };
  let screen;
  if (client === 'loading') screen = <main className="welcome"><div className="spinner" aria-label="…" /></main>;
  else if (!client) screen = <Welcome onReady={(c, code) => { setRecoveryCode(code); setClient(c); }} />;
  else if (recoveryCode) screen = <RecoveryCode code={recoveryCode} onDone={() => setRecoveryCode(undefined)} />;
  else screen = <Main client={client} theme={theme} setTheme={setTheme} onSignOut={() => void signOut(client).then(() => { setClient(undefined); go('/'); })} />;
  return <I18n.Provider value={i18n}>{screen}</I18n.Provider>;
}

function Main({ client, theme, setTheme, onSignOut }: { client: ParleyClient; theme: Theme; setTheme: (t: Theme) => void; onSignOut: () => void }) {
  const { t } = useI18n();
  useClientState(client);
  const [section, arg] = useRoute();
  const [error, run] = useAction();

  useEffect(() => {
    if (section === 'u' && arg) {
      run(async () => {
        const user = await client.findUser(arg);
        if (user.userId === client.userId) return go('/settings');
        go(`/chat/${(await client.openDirect(user.userId)).chatId}`);
      });
    }
  }, [section, arg]);

  if (client.connectionState === 'revoked') {
    return <main className="welcome"><div className="card welcome-card"><p>{t('revoked')}</p><button onClick={onSignOut}>{t('close')}</button></div></main>;
  }

  let panel = null;
  if (section === 'chat' && arg) panel = <ChatView key={arg} client={client} chatId={arg} />;
  else if (section === 'info' && arg) panel = <GroupInfo key={arg} client={client} chatId={arg} />;
  else if (section === 'join' && arg) panel = <JoinInvite key={arg} client={client} token={arg} />;
  else if (section === 'new') panel = <NewChat client={client} />;
  else if (section === 'settings') panel = <Settings client={client} theme={theme} setTheme={setTheme} onSignOut={onSignOut} />;
  const activeChat = section === 'chat' || section === 'info' ? arg : undefined;

  return (
    <div className={`layout${panel ? ' has-panel' : ''}`}>
      {client.connectionState !== 'online' && (
        <div className={`banner ${client.connectionState}`} role="status">{client.connectionState === 'offline' ? t('offline') : t('connecting')}</div>
      )}
      <ChatList client={client} activeId={activeChat} />
      <div className="main-panel">{panel ?? <div className="empty-state"><p className="muted">{t('tagline')}</p></div>}</div>
      <ErrorLine error={error} />
    </div>
  );
}
