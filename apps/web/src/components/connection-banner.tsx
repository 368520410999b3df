import { useEffect, useRef, useState } from 'react';
import type { ConnectionProblem, ConnectionState } from '@parley/client';
import { useI18n } from '../i18n/index.ts';

const BACK_ONLINE_SHOWN_MS = 3000;

/**
 * "Connecting…" only when it lasts (no flash on every start), "Offline" at once, and "Connected" for
 * a moment when it comes back. The live region stays in the page so a screen reader reads each change.
 * While the SDK reports a problem (R40: closed as slow again and again, or a frame too large to send)
 * and the device is not online, that is said instead of "Offline": the network is not the cause.
 */
export function ConnectionBanner({ state, problem: reason }: { state: ConnectionState; problem?: ConnectionProblem | undefined }) {
  const { t } = useI18n();
  const [shown, setShown] = useState<'offline' | 'connecting' | 'online' | undefined>();
  const hadProblem = useRef(false);
  const problem = state === 'connecting' || state === 'offline';
  useEffect(() => {
    if (problem) {
      const timer = setTimeout(() => { hadProblem.current = true; setShown(state); }, state === 'offline' ? 0 : 800);
      return () => clearTimeout(timer);
    }
    if (!hadProblem.current) { setShown(undefined); return; }
    hadProblem.current = false;
    setShown('online');
    const timer = setTimeout(() => setShown(undefined), BACK_ONLINE_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [problem, state]);
  const why = reason === 'slow_consumer' ? t('connectionSlow') : reason === 'frame_too_large' ? t('connectionTooLarge') : undefined;
  const text = shown === 'offline' || shown === 'connecting' ? why ?? t(shown) : shown === 'online' ? t('backOnline') : '';
  return (
    <div className={`banner-region${shown ? ` banner ${shown}` : ''}`} role="status" aria-live="polite" data-testid="connection">
      {text}
    </div>
  );
}
