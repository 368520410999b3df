import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Runs `load` now and again whenever `listen`'s source says something changed (a server event, this
 * tab's own action); `reload` for after an action of the view. A failed load keeps the last value and
 * gives the error. The communities' and channels' views read their server state through it.
 */
export function useReloading<T>(load: () => Promise<T>, listen: (again: () => void) => () => void, what: string): { value: T | undefined; error: unknown; reload: () => Promise<void> } {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<unknown>();
  const reload = useCallback(async () => {
    try {
      setValue(await load());
      setError(undefined);
    } catch (err) {
      console.warn(`parley: ${what} load failed`, err);
      setError(err);
    }
  }, [load, what]);
  // The latest `listen` is used; a new one alone does not subscribe again (callers pass an inline function).
  const listener = useRef(listen);
  listener.current = listen;
  useEffect(() => {
    void reload();
    return listener.current(() => void reload());
  }, [reload]);
  return { value, error, reload };
}
