import { useState } from 'react';
import { useI18n } from '../i18n/index.ts';

/** Runs an action and keeps its error (if any) for display. */
export function useAction(): [string | undefined, (fn: () => Promise<void>) => void] {
  const [error, setError] = useState<string | undefined>();
  return [error, (fn) => {
    setError(undefined);
    fn().catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }];
}

export function ErrorLine({ error }: { error: string | undefined }) {
  const { t } = useI18n();
  return error ? <p className="error" role="alert">{t('error', { message: error })}</p> : null;
}
