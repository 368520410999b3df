import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';

/** R125: how far this device checked that the log is whole, and what it found. */
export interface LogCheckState {
  problem: string | undefined;
  checked: number;
  of: number;
  complete: boolean;
}

/**
 * R125: checks the whole log behind the posts shown (a dropped middle post shows here, not in the
 * newest-first page), in bounded steps resumed from the device's store, again whenever the log grows.
 * An admin's device first signs a head for a channel whose head lags (one from before R125, or
 * scheduled posts published since).
 */
export function useLogCheck(client: ParleyClient, channelId: string, admin: boolean, lastSeq: number | undefined): LogCheckState | undefined {
  const [state, setState] = useState<LogCheckState>();
  useEffect(() => {
    if (lastSeq === undefined) return;
    let stopped = false;
    void (async () => {
      if (admin) await client.channels.healHead(channelId).catch((err: unknown) => console.warn('parley: signing the channel head failed', err));
      for (;;) {
        const r = await client.channels.checkLog(channelId);
        if (stopped) return;
        setState({ problem: r.integrity.problem, checked: Math.min(r.checkedThrough, r.lastSeq), of: r.lastSeq, complete: r.complete });
        if (r.complete) return;
      }
    })().catch((err: unknown) => console.warn('parley: checking the channel log failed', err));
    return () => { stopped = true; };
  }, [client, channelId, admin, lastSeq]);
  return state;
}
