import { useEffect, useReducer } from 'react';
import { groupCallMedia } from './group-call-media.ts';

/** Re-renders on every change of this tab's group call. */
export function useGroupCall(): typeof groupCallMedia {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => groupCallMedia.on(bump), []);
  return groupCallMedia;
}
