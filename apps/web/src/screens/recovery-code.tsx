import { CopyButton } from '../components/copy-button.tsx';
import { useI18n } from '../i18n/index.ts';

/** The one-time recovery code, shown right after sign-up or a recovery sign-in. */
export function RecoveryCode({ code, onDone }: { code: string; onDone: () => void }) {
  const { t } = useI18n();
  return (
    <main className="welcome">
      <div className="card welcome-card">
        <h1>{t('recoveryTitle')}</h1>
        <code className="recovery-code" data-testid="recovery-code">{code}</code>
        <CopyButton text={code} />
        <p>{t('recoveryHelp')}</p>
        <button onClick={onDone}>{t('savedIt')}</button>
      </div>
    </main>
  );
}
