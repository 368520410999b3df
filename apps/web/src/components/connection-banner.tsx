import { useEffect, useRef, useState } from 'react';
import type { ConnectionState } from '@parley/client';
import { useI18n } from '../i18n/index.ts';

const BACK_ONLINE_SHOWN_MS = 3000;

/**
 * "Connecting…" only when it lasts (no flash on every start), "Offline" at once, and "Connected" for
 * a moment when it comes back. The live region stays in the page so a screen reader reads each change.
 */
export function ConnectionBanner({ state }: { state: ConnectionState }) {
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
  const text = shown === 'offline' ? t('offline') : shown === 'connecting' ? t('connecting') : shown === 'online' ? t('backOnline') : '';
  return (
    <div className={`banner-region${shown ? ` banner ${shown}` : ''}`} role="status" aria-live="polite" data-testid="connection">
      {text}
    </div>
  );
}
