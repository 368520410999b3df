import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useChunkI18n } from '../i18n/chunk-text.ts';
import { enPasskeys } from '../i18n/en-passkeys.ts';
import { ruPasskeys } from '../i18n/ru-passkeys.ts';
import { passkeysAvailable } from '../state/session-loader.ts';
import { addPasskey, storeProtection } from '../state/session.ts';
import { ErrorLine, useAction } from './error-line.tsx';

/**
 * Settings: add a passkey to the account (R46: one made without a passkey, or a spare), and what
 * protects the messages kept in this browser, in plain words.
 */
export function PasskeysCard({ client }: { client: ParleyClient }) {
  const { t } = useChunkI18n(enPasskeys, ruPasskeys);
  const [error, run, busy] = useAction();
  const [added, setAdded] = useState(false);
  const [canPasskey] = useState(passkeysAvailable);
  const protection = storeProtection(client);
  return (
    <div className="card passkeys-card" data-testid="passkeys-card">
      <h3>{t('passkeysTitle')}</h3>
      <p className="muted small">{t('passkeysHelp')}</p>
      {canPasskey
        ? <button disabled={busy} onClick={() => run(async () => { setAdded(false); await addPasskey(client); setAdded(true); })}>{t('addPasskey')}</button>
        : <p className="muted small">{t('passkeysUnavailable')}</p>}
      <p role="status" className={added ? 'small' : 'small sr-only'}>{added ? t('passkeyAdded') : ''}</p>
      <ErrorLine error={error} />
      {protection === 'local' && <p className="small" data-testid="store-protection">{t('protectionLocal')}</p>}
      {protection === 'passphrase' && <p className="small" data-testid="store-protection">{t('protectionPassphrase')}</p>}
      {protection === 'prf' && <p className="small" data-testid="store-protection">{t('protectionPrf')}</p>}
    </div>
  );
}
