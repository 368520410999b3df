import { useEffect, useReducer, useState } from 'react';
import type { GroupRing, ParleyClient } from '@parley/client';
import { groupCallMedia } from './group-call-media.ts';

/** Re-renders on every change of this tab's group call. */
export function useGroupCall(): typeof groupCallMedia {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => groupCallMedia.on(bump), []);
  return groupCallMedia;
}

/** R124: group calls ringing on this device (re-read on the SDK's `calls` event). */
export function useGroupRings(client: ParleyClient): GroupRing[] {
  const [rings, setRings] = useState<GroupRing[]>(() => client.calls.groupRings());
  useEffect(() => client.on('calls', () => setRings(client.calls.groupRings())), [client]);
  return rings;
}
