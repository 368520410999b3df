import { useEffect, useState } from 'react';
import { isKeyLogError, type KeyDirectory, type VerificationState } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';

// (Apart from verify-contact.tsx: the chat screen shows this banner; the safety number and its QR code load with the chat's info.)

/** A contact's verification as the person sees it; 'forked' when the server rewrote their key history (R22). */
export type ContactKeyState = VerificationState | 'forked';

/** The contact's verification state, checked on mount, on `recheck` changes, and when the window regains focus. */
export function useContactKeyState(keys: KeyDirectory | undefined, userId: string | undefined, recheck = 0): ContactKeyState | undefined {
  const [state, setState] = useState<ContactKeyState>();
  const [focus, setFocus] = useState(0);
  useEffect(() => {
    const onFocus = () => setFocus((n) => n + 1);
    addEventListener('focus', onFocus);
    return () => removeEventListener('focus', onFocus);
  }, []);
  useEffect(() => {
    if (!keys || !userId) return;
    let live = true;
    keys.verificationState(userId).then(
      (s) => { if (live) setState(s); },
      (err: unknown) => {
        if (!live) return;
        if (isKeyLogError(err, 'key_log_forked') || isKeyLogError(err, 'key_log_invalid')) setState('forked');
        else console.warn('parley: key check failed', err);
      },
    );
    return () => { live = false; };
  }, [keys, userId, recheck, focus]);
  return state;
}

/** Above a direct chat's timeline: a warning when the verified contact's devices changed, or their key history was rewritten. */
export function KeyChangeBanner({ keys, contact, chatId }: { keys: KeyDirectory | undefined; contact: { userId: string; displayName: string } | undefined; chatId: string }) {
  const { t } = useI18n();
  const state = useContactKeyState(keys, contact?.userId);
  if (!contact || (state !== 'changed' && state !== 'forked')) return null;
  return (
    <div className="notice key-warning" role="alert" data-testid="key-change-warning">
      {t(state === 'forked' ? 'keyLogForked' : 'keysChanged', { name: contact.displayName })}{' '}
      <button className="link-button" onClick={() => go(`/info/${chatId}`)}>{t('verifyAgain')}</button>
    </div>
  );
}
