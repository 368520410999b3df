import { useEffect, useState } from 'react';
import { formatSafetyNumber, isKeyLogError, type KeyDirectory } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { ErrorLine, useAction } from './error-line.tsx';
import { QrImage } from './qr.tsx';
import { useContactKeyState } from './key-change.tsx';

/** The safety number and QR code of a direct chat's contact, and "Mark as verified" (R22). */
export function VerifyContact({ keys, myUserId, contact }: { keys: KeyDirectory; myUserId: string; contact: { userId: string; displayName: string } }) {
  const { t } = useI18n();
  const name = contact.displayName;
  const [marked, setMarked] = useState(0);
  const state = useContactKeyState(keys, contact.userId, marked);
  const [shown, setShown] = useState<{ number: string; qr: string } | { problem: 'forked' | 'no_keys' }>();
  const [error, run, busy] = useAction();
  useEffect(() => {
    let live = true;
    Promise.all([keys.safetyNumber(myUserId, contact.userId), keys.qrPayload(myUserId, contact.userId)]).then(
      ([number, qr]) => { if (live) setShown({ number, qr }); },
      (err: unknown) => {
        if (!live) return;
        if (isKeyLogError(err, 'no_device_keys')) setShown({ problem: 'no_keys' });
        else if (isKeyLogError(err)) setShown({ problem: 'forked' });
        else console.warn('parley: safety number failed', err);
      },
    );
    return () => { live = false; };
  }, [keys, myUserId, contact.userId, marked]);

  return (
    <div className="card verify" data-testid="verify-contact">
      <h3>{t('verifyTitle', { name })}</h3>
      {(state === 'forked' || (shown && 'problem' in shown && shown.problem === 'forked')) && (
        <p className="key-alert" role="alert" data-testid="key-log-forked">{t('keyLogForked', { name })}</p>
      )}
      {state === 'changed' && <p className="key-alert" role="alert">{t('keysChanged', { name })}</p>}
      {state === 'verified' && <p className="verified" data-testid="verified-state">✓ {t('verifiedState', { name })}</p>}
      {state === 'unverified' && <p className="muted small">{t('unverifiedState')}</p>}
      {shown && 'problem' in shown && shown.problem === 'no_keys' && <p className="muted">{t('noDeviceKeys', { name })}</p>}
      {shown && 'number' in shown && (
        <>
          <p className="muted small">{t('verifyHelp', { name })}</p>
          <div className="safety-number" data-testid="safety-number" aria-label={t('safetyNumber')}>
            {formatSafetyNumber(shown.number).split(' ').map((group, i) => <span key={i}>{group}</span>)}
          </div>
          <div className="link-qr"><QrImage text={shown.qr} alt={t('verifyQrAlt', { name })} /></div>
          {state !== 'verified' && state !== 'forked' && (
            <button disabled={busy} data-testid="mark-verified" onClick={() => run(async () => { await keys.markVerified(contact.userId); setMarked((n) => n + 1); })}>
              {t('markVerified')}
            </button>
          )}
        </>
      )}
      <ErrorLine error={error} />
    </div>
  );
}
