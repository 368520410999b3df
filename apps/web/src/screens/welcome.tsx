import { useEffect, useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { DeviceKeyTerms, NO_PASSPHRASE, type PassphraseChoice } from '../components/device-key-terms.tsx';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { LanguagePicker } from '../components/language-picker.tsx';
import { useI18n } from '../i18n/index.ts';
import { loadSession, passkeysAvailable } from '../state/session-loader.ts';

type Mode = 'start' | 'signup' | 'recovery' | 'link';
const HANDLE_PATTERN = '[A-Za-z][A-Za-z0-9_]{2,31}';

/** How a new account is held, for the recovery code screen: a passkey, or this browser alone (R46). */
export type HeldBy = 'passkey' | 'device-key' | 'device-key-passphrase';

/**
 * Create an account (with a passkey, or where there is none or the person prefers, with this
 * browser's device key: R46), sign in with a passkey, by linking, or with the recovery code.
 * No phone, no e-mail. The session module (the SDK) loads once the person starts one of these
 * (`onIntent` lets the app fetch the chat screen meanwhile).
 */
export function Welcome({ onReady, onIntent }: { onReady: (client: ParleyClient, recoveryCode?: string, heldBy?: HeldBy) => void; onIntent?: () => void }) {
  const { t } = useI18n();
  const [mode, setModeState] = useState<Mode>('start');
  const setMode = (next: Mode) => {
    if (next !== 'start') onIntent?.();
    setModeState(next);
  };
  const [name, setName] = useState('');
  const [handle, setHandle] = useState('');
  const [code, setCode] = useState('');
  const [canPasskey] = useState(passkeysAvailable);
  const [noPasskeyChosen, setNoPasskeyChosen] = useState(false);
  const [passphrase, setPassphrase] = useState<PassphraseChoice>(NO_PASSPHRASE);
  const withoutPasskey = !canPasskey || noPasskeyChosen;
  const [error, run, busy] = useAction();
  const back = <button type="button" className="link-button" onClick={() => setMode('start')}>{t('back')}</button>;
  return (
    <main className="welcome">
      <div className="card welcome-card">
        <div className="logo" aria-hidden="true">P</div>
        <h1>{t('appName')}</h1>
        <p className="muted">{t('tagline')}</p>
        {mode === 'start' && (
          <div className="stack">
            <button onClick={() => setMode('signup')}>{t('createAccount')}</button>
            {canPasskey && <button className="secondary" disabled={busy} onClick={() => {
              onIntent?.();
              run(async () => onReady(await (await loadSession()).signInWithPasskey()));
            }}>{t('signInPasskey')}</button>}
            <button className="secondary" onClick={() => setMode('link')}>{t('linkDevice')}</button>
            <button className="link-button" onClick={() => setMode('recovery')}>{t('useRecovery')}</button>
          </div>
        )}
        {mode === 'link' && <LinkDevice onReady={onReady} onBack={() => setMode('start')} />}
        {mode === 'signup' && (
          <form className="stack" onSubmit={(e) => {
            e.preventDefault();
            if (withoutPasskey && passphrase.use && passphrase.passphrase !== passphrase.repeat) return;
            run(async () => {
              if (withoutPasskey) {
                const chosen = passphrase.use ? passphrase.passphrase : undefined;
                const { client, recoveryCode } = await (await loadSession()).signUpWithDeviceKey(handle.trim().toLowerCase(), name.trim(), chosen);
                onReady(client, recoveryCode, chosen ? 'device-key-passphrase' : 'device-key');
              } else {
                const { client, recoveryCode } = await (await loadSession()).signUp(handle.trim().toLowerCase(), name.trim()).catch((err: unknown) => {
                  // WebAuthn is there but makes no passkey (some in-app browsers): show the way without one.
                  if (err instanceof Error && (err.name === 'NotSupportedError' || /not supported/i.test(err.message))) setNoPasskeyChosen(true);
                  throw err;
                });
                onReady(client, recoveryCode, 'passkey');
              }
            });
          }}>
            {!canPasskey && <p className="notice" data-testid="no-passkeys-here">{t('noPasskeysHere')}</p>}
            <label>{t('displayName')}
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} autoComplete="name" autoFocus />
            </label>
            <label>{t('handle')}
              <input value={handle} onChange={(e) => setHandle(e.target.value)} required pattern={HANDLE_PATTERN}
                title={t('errInvalidHandle')} autoCapitalize="off" autoCorrect="off" spellCheck={false} autoComplete="username" />
            </label>
            {withoutPasskey && <DeviceKeyTerms choice={passphrase} onChange={setPassphrase} />}
            <button type="submit" disabled={busy}>{withoutPasskey ? t('createAccount') : t('continue')}</button>
            {canPasskey && (
              <button type="button" className="link-button" onClick={() => setNoPasskeyChosen(!noPasskeyChosen)}>
                {noPasskeyChosen ? t('usePasskeyInstead') : t('createWithoutPasskey')}
              </button>
            )}
            {back}
          </form>
        )}
        {mode === 'recovery' && (
          <form className="stack" onSubmit={(e) => {
            e.preventDefault();
            run(async () => {
              const { client, recoveryCode } = await (await loadSession()).signInWithRecovery(handle.trim().toLowerCase(), code);
              onReady(client, recoveryCode);
            });
          }}>
            <label>{t('handle')}
              <input value={handle} onChange={(e) => setHandle(e.target.value)} required autoCapitalize="off" autoCorrect="off" spellCheck={false} autoFocus />
            </label>
            <label>{t('recoveryCode')}
              <input value={code} onChange={(e) => setCode(e.target.value)} required autoCapitalize="characters" autoComplete="off" spellCheck={false} />
            </label>
            <button type="submit" disabled={busy}>{t('signIn')}</button>
            {back}
          </form>
        )}
        <ErrorLine error={error} />
        <LanguagePicker className="lang" />
      </div>
    </main>
  );
}

/**
 * "Link to a device you already use" (R23-R25): enter the handle, then show the code the person
 * types on that device, and wait for its approval.
 */
function LinkDevice({ onReady, onBack }: { onReady: (client: ParleyClient) => void; onBack: () => void }) {
  const { t } = useI18n();
  const [handle, setHandle] = useState('');
  const [code, setCode] = useState<string | undefined>();
  const [error, run, busy] = useAction();
  const abort = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => abort.current?.abort(), []);
  const cancel = () => {
    abort.current?.abort();
    setCode(undefined);
  };
  if (code) {
    return (
      <div className="stack center" data-testid="link-waiting">
        <p>{t('linkShowCode')}</p>
        <output className="link-code" data-testid="link-code" aria-label={t('linkCodeLabel')}>{code.slice(0, 3)} {code.slice(3)}</output>
        <p className="muted small">{t('linkWaiting')}</p>
        <div className="spinner" role="status" aria-label={t('linkWaiting')} />
        <button type="button" className="link-button" onClick={cancel}>{t('cancel')}</button>
      </div>
    );
  }
  return (
    <form className="stack" onSubmit={(e) => {
      e.preventDefault();
      run(async () => {
        abort.current?.abort();
        const controller = (abort.current = new AbortController());
        const link = await (await loadSession()).linkThisDevice(handle.trim().toLowerCase(), controller.signal);
        setCode(link.code);
        try {
          onReady(await link.signedIn);
        } catch (err) {
          setCode(undefined);
          if (!controller.signal.aborted) throw err;
        }
      });
    }}>
      <p className="muted small">{t('linkDeviceHelp')}</p>
      <label>{t('handle')}
        <input value={handle} onChange={(e) => setHandle(e.target.value)} required autoCapitalize="off" autoCorrect="off" spellCheck={false} autoFocus
          autoComplete="username" />
      </label>
      <button type="submit" disabled={busy}>{t('continue')}</button>
      <button type="button" className="link-button" onClick={onBack}>{t('back')}</button>
      <ErrorLine error={error} />
    </form>
  );
}
