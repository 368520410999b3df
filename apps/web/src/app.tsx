import { Suspense, lazy, useEffect, useMemo, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { I18n, detectLocale, loadLocale, makeI18n, saveLocale, shareLocaleWithWorker, useI18n, type Locale } from './i18n/index.ts';
import { RecoveryCode } from './screens/recovery-code.tsx';
import { Welcome, type HeldBy } from './screens/welcome.tsx';
import type { LockedSession } from './state/session.ts';
import { loadSession, mayHaveSession } from './state/session-loader.ts';
import { applyTheme, loadTheme, saveTheme, type Theme } from './state/theme.ts';
import { go } from './state/use-client.ts';

// After sign-in only: the chat screens (and through them the SDK) are chunks of their own, which
// the service worker precaches for offline starts (docs/ARCHITECTURE.md "Code splitting in the web client").
const loadMainScreen = () => import('./screens/main-screen.tsx');
const MainScreen = lazy(async () => ({ default: (await loadMainScreen()).MainScreen }));
const Unlock = lazy(async () => ({ default: (await import('./screens/unlock.tsx')).Unlock }));

/** Resumes a stored session, if this browser may have one, loading the chat screen alongside. */
async function start(): Promise<ParleyClient | LockedSession | undefined> {
  if (!(await mayHaveSession())) return undefined;
  const [session] = await Promise.all([loadSession(), loadMainScreen()]);
  return session.resume();
}

/** The person started to sign up or in: fetch what comes after meanwhile (a failure shows when it is needed). */
function prepareSignedIn(): void {
  void loadSession().catch(() => {});
  void loadMainScreen().catch(() => {});
}

function Loading() {
  const { t } = useI18n();
  return <main className="welcome"><div className="spinner" role="status" aria-label={t('loading')} /></main>;
}

export function App() {
  const [locale, setLocaleState] = useState<Locale>(detectLocale);
  const [theme, setThemeState] = useState<Theme>(loadTheme);
  const [client, setClient] = useState<ParleyClient | LockedSession | undefined | 'loading'>('loading');
  const [recoveryCode, setRecoveryCode] = useState<string | undefined>();
  const [heldBy, setHeldBy] = useState<HeldBy | undefined>();
  const i18n = useMemo(() => makeI18n(locale, (l) => {
    void loadLocale(l).then(() => { saveLocale(l); setLocaleState(l); }, (err: unknown) => console.warn('parley: language failed to load', err));
  }), [locale]);

  useEffect(() => {
    document.documentElement.lang = locale;
    shareLocaleWithWorker(locale);
  }, [locale]);
  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    start().then(setClient, (err: unknown) => {
      console.error('parley: cannot resume the session', err);
      setClient(undefined);
    });
  }, []);

  const setTheme = (next: Theme) => { saveTheme(next); setThemeState(next); };
  const onSignOut = () => {
    setClient('loading');
    void loadSession().then((session) => session.signOut()).finally(() => { setClient(undefined); go('/'); });
  };

  let screen;
  if (client === 'loading') screen = <Loading />;
  else if (!client) {
    screen = <Welcome onReady={(c, code, held) => { setRecoveryCode(code); setHeldBy(held); setClient(c); }} onIntent={prepareSignedIn} />;
  } else if ('locked' in client) screen = <Unlock session={client} onUnlocked={setClient} onSignOut={onSignOut} />;
  else if (recoveryCode) screen = <RecoveryCode code={recoveryCode} heldBy={heldBy} onDone={() => setRecoveryCode(undefined)} />;
  else screen = <MainScreen client={client} theme={theme} setTheme={setTheme} onSignOut={onSignOut} />;
  return <I18n.Provider value={i18n}><Suspense fallback={<Loading />}>{screen}</Suspense></I18n.Provider>;
}
