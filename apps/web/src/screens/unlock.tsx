import { useState } from 'react';
import { isStoreSealError, type ParleyClient } from '@parley/client';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { useI18n } from '../i18n/index.ts';
import type { LockedSession } from '../state/session.ts';

/** On load when this device's store is sealed with a key that is not kept: asks the passkey, or the passphrase (R46), once. */
export function Unlock({ session, onUnlocked, onSignOut }: { session: LockedSession; onUnlocked: (client: ParleyClient) => void; onSignOut: () => void }) {
  const { t } = useI18n();
  const [error, run, busy] = useAction();
  const [passphrase, setPassphrase] = useState('');
  const wrongPassphrase = session.by === 'passphrase' && isStoreSealError(error, 'store_key_mismatch');
  return (
    <main className="welcome">
      <div className="card welcome-card">
        <h1>{t('unlockTitle')}</h1>
        {session.by === 'passkey' && (
          <>
            <p>{t('unlockHelp')}</p>
            <button disabled={busy} onClick={() => run(async () => onUnlocked(await session.unlock()))}>{t('unlockButton')}</button>
          </>
        )}
        {session.by === 'passphrase' && (
          <form className="stack" onSubmit={(e) => {
            e.preventDefault();
            run(async () => onUnlocked(await session.unlock(passphrase)));
          }}>
            <p>{t('unlockPassphraseHelp')}</p>
            <label>{t('passphraseLabel')}
              <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.currentTarget.value)} required autoFocus
                autoComplete="current-password" aria-invalid={wrongPassphrase} />
            </label>
            <button type="submit" disabled={busy}>{t('unlockWithPassphrase')}</button>
            {wrongPassphrase && <p className="error" role="alert">{t('errWrongPassphrase')}</p>}
            <p className="muted small">{t('forgotPassphrase')}</p>
          </form>
        )}
        <button className="secondary" disabled={busy} onClick={onSignOut}>{t('signOut')}</button>
        {!wrongPassphrase && <ErrorLine error={error} />}
      </div>
    </main>
  );
}
