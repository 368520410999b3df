import { useEffect, useReducer } from 'react';
import type { ParleyClient } from '@parley/client';

/** Re-renders the component whenever the client's visible state changes. */
export function useClientState(client: ParleyClient): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => client.on('change', bump), [client]);
}

/** The current hash route: #/chat/ID, #/join/TOKEN, #/u/HANDLE, #/new, #/settings, #/info/ID. */
export function useRoute(): string[] {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    addEventListener('hashchange', bump);
    return () => removeEventListener('hashchange', bump);
  }, []);
  return location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

export const go = (path: string) => {
  location.hash = path;
};
