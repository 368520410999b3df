import { useEffect, useMemo, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { I18n, detectLocale, makeI18n, saveLocale, shareLocaleWithWorker, type Locale } from './i18n/index.ts';
import { MainScreen } from './screens/main-screen.tsx';
import { RecoveryCode } from './screens/recovery-code.tsx';
import { Unlock } from './screens/unlock.tsx';
import { Welcome, type HeldBy } from './screens/welcome.tsx';
import { resume, signOut, type LockedSession } from './state/session.ts';
import { applyTheme, loadTheme, saveTheme, type Theme } from './state/theme.ts';
import { go } from './state/use-client.ts';

export function App() {
  const [locale, setLocaleState] = useState<Locale>(detectLocale);
  const [theme, setThemeState] = useState<Theme>(loadTheme);
  const [client, setClient] = useState<ParleyClient | LockedSession | undefined | 'loading'>('loading');
  const [recoveryCode, setRecoveryCode] = useState<string | undefined>();
  const [heldBy, setHeldBy] = useState<HeldBy | undefined>();
  const i18n = useMemo(() => makeI18n(locale, (l) => { saveLocale(l); setLocaleState(l); }), [locale]);

  useEffect(() => {
    document.documentElement.lang = locale;
    shareLocaleWithWorker(locale);
  }, [locale]);
  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    resume().then(setClient, (err: unknown) => {
      console.error('parley: cannot resume the session', err);
      setClient(undefined);
    });
  }, []);

  const setTheme = (next: Theme) => { saveTheme(next); setThemeState(next); };
  const onSignOut = () => {
    setClient('loading');
    void signOut().finally(() => { setClient(undefined); go('/'); });
  };

  let screen;
  if (client === 'loading') screen = <main className="welcome"><div className="spinner" role="status" aria-label={i18n.t('loading')} /></main>;
  else if (!client) screen = <Welcome onReady={(c, code, held) => { setRecoveryCode(code); setHeldBy(held); setClient(c); }} />;
  else if ('locked' in client) screen = <Unlock session={client} onUnlocked={setClient} onSignOut={onSignOut} />;
  else if (recoveryCode) screen = <RecoveryCode code={recoveryCode} heldBy={heldBy} onDone={() => setRecoveryCode(undefined)} />;
  else screen = <MainScreen client={client} theme={theme} setTheme={setTheme} onSignOut={onSignOut} />;
  return <I18n.Provider value={i18n}>{screen}</I18n.Provider>;
}
