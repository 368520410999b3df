import { CopyButton } from '../components/copy-button.tsx';
import { useI18n } from '../i18n/index.ts';
import type { HeldBy } from './welcome.tsx';

/**
 * The one-time recovery code, shown right after sign-up or a recovery sign-in. For an account held
 * by this browser alone (R46) it says again, in plain words, what the code is then for.
 */
export function RecoveryCode({ code, heldBy, onDone }: { code: string; heldBy?: HeldBy | undefined; onDone: () => void }) {
  const { t } = useI18n();
  const deviceKey = heldBy === 'device-key' || heldBy === 'device-key-passphrase';
  return (
    <main className="welcome">
      <div className="card welcome-card">
        <h1>{t('recoveryTitle')}</h1>
        <code className="recovery-code" data-testid="recovery-code">{code}</code>
        <CopyButton text={code} />
        <p>{t('recoveryHelp')}</p>
        {deviceKey && (
          <ul className="notice recovery-warning" data-testid="recovery-warning">
            <li>{t('recoveryOnlyWayBack')}</li>
            <li>{heldBy === 'device-key-passphrase' ? t('protectedByPassphrase') : t('protectedByNothing')}</li>
            <li>{t('deviceKeyLater')}</li>
          </ul>
        )}
        <button onClick={onDone}>{t('savedIt')}</button>
      </div>
    </main>
  );
}
