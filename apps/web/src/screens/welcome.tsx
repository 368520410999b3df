import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n, type Locale } from '../i18n/index.ts';
import { signInWithPasskey, signInWithRecovery, signUp } from '../state/session.ts';
import { ErrorLine, useAction } from '../components/error-line.tsx';

type Mode = 'start' | 'signup' | 'recovery';

export function Welcome({ onReady }: { onReady: (client: ParleyClient, recoveryCode?: string) => void }) {
  const { t, locale, setLocale } = useI18n();
  const [mode, setMode] = useState<Mode>('start');
  const [name, setName] = useState('');
  const [handle, setHandle] = useState('');
  const [code, setCode] = useState('');
  const [error, run] = useAction();
  return (
    <main className="welcome">
      <div className="card welcome-card">
        <div className="logo" aria-hidden="true">P</div>
        <h1>{t('appName')}</h1>
        <p className="muted">{t('tagline')}</p>
        {mode === 'start' && (
          <div className="stack">
            <button onClick={() => setMode('signup')}>{t('createAccount')}</button>
            <button className="secondary" onClick={() => run(async () => onReady(await signInWithPasskey()))}>{t('signInPasskey')}</button>
            <button className="link-button" onClick={() => setMode('recovery')}>{t('useRecovery')}</button>
          </div>
        )}
        {mode === 'signup' && (
          <form className="stack" onSubmit={(e) => { e.preventDefault(); run(async () => {
            const { client, recoveryCode } = await signUp(handle.trim().toLowerCase(), name.trim());
            onReady(client, recoveryCode);
          }); }}>
            <label>{t('displayName')}<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} autoComplete="name" /></label>
            <label>{t('handle')}<input value={handle} onChange={(e) => setHandle(e.target.value)} required pattern="[a-zA-Z][a-zA-Z0-9_]{2,31}" autoCapitalize="off" autoComplete="username webauthn" /></label>
            <button type="submit">{t('continue')}</button>
            <button type="button" className="link-button" onClick={() => setMode('start')}>{t('back')}</button>
          </form>
        )}
        {mode === 'recovery' && (
          <form className="stack" onSubmit={(e) => { e.preventDefault(); run(async () => {
            const { client, recoveryCode } = await signInWithRecovery(handle.trim().toLowerCase(), code);
            onReady(client, recoveryCode);
          }); }}>
            <label>{t('handle')}<input value={handle} onChange={(e) => setHandle(e.target.value)} required autoCapitalize="off" /></label>
            <label>{t('recoveryCode')}<input value={code} onChange={(e) => setCode(e.target.value)} required autoCapitalize="characters" /></label>
            <button type="submit">{t('signIn')}</button>
            <button type="button" className="link-button" onClick={() => setMode('start')}>{t('back')}</button>
          </form>
        )}
        <ErrorLine error={error} />
        <select className="lang" value={locale} aria-label={t('language')} onChange={(e) => setLocale(e.target.value as Locale)}>
          <option value="en">English</option>
          <option value="ru">Русский</option>
        </select>
      </div>
    </main>
  );
}

export function RecoveryCode({ code, onDone }: { code: string; onDone: () => void }) {
  const { t } = useI18n();
  return (
    <main className="welcome">
      <div className="card welcome-card">
        <h1>{t('recoveryTitle')}</h1>
        <code className="recovery-code" data-testid="recovery-code">{code}</code>
        <p>{t('recoveryHelp')}</p>
        <button onClick={onDone}>{t('savedIt')}</button>
      </div>
    </main>
  );
}
