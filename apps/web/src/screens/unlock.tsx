import type { ParleyClient } from '@parley/client';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { useI18n } from '../i18n/index.ts';
import type { LockedSession } from '../state/session.ts';

/** On load when this device's store is sealed with a passkey's key: asks the passkey once. */
export function Unlock({ session, onUnlocked, onSignOut }: { session: LockedSession; onUnlocked: (client: ParleyClient) => void; onSignOut: () => void }) {
  const { t } = useI18n();
  const [error, run, busy] = useAction();
  return (
    <main className="welcome">
      <div className="card welcome-card">
        <h1>{t('unlockTitle')}</h1>
        <p>{t('unlockHelp')}</p>
        <button disabled={busy} onClick={() => run(async () => onUnlocked(await session.unlock()))}>{t('unlockButton')}</button>
        <button className="secondary" disabled={busy} onClick={onSignOut}>{t('signOut')}</button>
        <ErrorLine error={error} />
      </div>
    </main>
  );
}
