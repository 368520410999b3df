import { PASSPHRASE_MIN_LENGTH } from '@parley/client';
import { useI18n } from '../i18n/index.ts';

export interface PassphraseChoice {
  use: boolean;
  passphrase: string;
  repeat: string;
}

export const NO_PASSPHRASE: PassphraseChoice = { use: false, passphrase: '', repeat: '' };

/** The two entries of a chosen passphrase differ (the form is not sent then). */
export const passphraseMismatch = (choice: PassphraseChoice) => choice.use && choice.repeat !== '' && choice.passphrase !== choice.repeat;

/**
 * R46: creating an account without a passkey. Says in plain words what then protects it (this
 * browser's key, the recovery code as the only way back, the browser profile), and offers a
 * passphrase that seals this browser's store (docs/ARCHITECTURE.md "Keys at rest on the device").
 */
export function DeviceKeyTerms({ choice, onChange }: { choice: PassphraseChoice; onChange: (next: PassphraseChoice) => void }) {
  const { t } = useI18n();
  const mismatch = passphraseMismatch(choice);
  return (
    <div className="stack device-key-terms" data-testid="device-key-terms">
      <p className="terms-intro" id="device-key-intro">{t('deviceKeyIntro')}</p>
      <ul className="terms" aria-labelledby="device-key-intro">
        <li>{t('deviceKeyHeld')}</li>
        <li>{t('deviceKeyRecovery')}</li>
        <li>{t('deviceKeyProfile')}</li>
        <li>{t('deviceKeyLater')}</li>
      </ul>
      <label className="check">
        <input type="checkbox" checked={choice.use} onChange={(e) => onChange({ ...choice, use: e.currentTarget.checked })} />
        {t('usePassphrase')}
      </label>
      {choice.use && (
        <>
          <label>{t('passphrase')}
            <input type="password" value={choice.passphrase} minLength={PASSPHRASE_MIN_LENGTH} required autoComplete="new-password"
              onChange={(e) => onChange({ ...choice, passphrase: e.currentTarget.value })} aria-describedby="passphrase-help" />
          </label>
          <label>{t('passphraseRepeat')}
            <input type="password" value={choice.repeat} minLength={PASSPHRASE_MIN_LENGTH} required autoComplete="new-password"
              onChange={(e) => onChange({ ...choice, repeat: e.currentTarget.value })} aria-invalid={mismatch} />
          </label>
          {mismatch && <p className="error" role="alert">{t('errPassphraseMismatch')}</p>}
          <p className="muted small" id="passphrase-help">{t('passphraseHelp')}</p>
        </>
      )}
    </div>
  );
}
