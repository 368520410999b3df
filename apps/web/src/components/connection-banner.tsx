import { useEffect, useState } from 'react';
import type { ConnectionState } from '@parley/client';
import { useI18n } from '../i18n/index.ts';

/** "Connecting…" only when it lasts (no flash on every start), "Offline" at once. */
export function ConnectionBanner({ state }: { state: ConnectionState }) {
  const { t } = useI18n();
  const [shown, setShown] = useState(false);
  const problem = state === 'connecting' || state === 'offline';
  useEffect(() => {
    if (!problem) { setShown(false); return; }
    const timer = setTimeout(() => setShown(true), state === 'offline' ? 0 : 800);
    return () => clearTimeout(timer);
  }, [problem, state]);
  if (!problem || !shown) return null;
  return (
    <div className={`banner ${state}`} role="status" aria-live="polite">
      {state === 'offline' ? t('offline') : t('connecting')}
    </div>
  );
}
