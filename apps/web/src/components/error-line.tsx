import { useCallback, useState } from 'react';
import { errorText } from '../i18n/errors.ts';
import { useI18n } from '../i18n/index.ts';

/** Runs an action, keeps its error (if any) for display and whether it is still running. */
export function useAction(): [unknown, (fn: () => Promise<unknown>) => void, boolean] {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = useCallback((fn: () => Promise<unknown>) => {
    setError(undefined);
    setBusy(true);
    fn().then(
      () => setBusy(false),
      (err: unknown) => {
        console.warn('parley:', err);
        setError(err ?? new Error('failed'));
        setBusy(false);
      },
    );
  }, []);
  return [error, run, busy];
}

export function ErrorLine({ error }: { error: unknown }) {
  const { t } = useI18n();
  return error ? <p className="error" role="alert">{errorText(t, error)}</p> : null;
}
