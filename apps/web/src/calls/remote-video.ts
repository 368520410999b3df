import { useEffect, useState } from 'react';
import type { CallPeer } from '@parley/client';

/** How often a voice call checks whether video arrives (a shared screen, R103). */
const VIDEO_POLL_MS = 1000;

/** The video frames a peer connection has decoded so far (getStats' inbound video). */
export function framesDecoded(entries: Iterable<{ type: string; kind?: string; framesDecoded?: number }>): number {
  let frames = 0;
  for (const e of entries) if (e.type === 'inbound-rtp' && e.kind === 'video') frames += e.framesDecoded ?? 0;
  return frames;
}

/**
 * Whether video frames arrive on `peer` now (they grew since the last look): in a voice call, the
 * other side is sharing a screen. A remote track's `muted` can't tell: Chromium leaves an idle
 * line's track unmuted.
 */
export function useVideoArriving(peer: CallPeer | undefined, enabled: boolean): boolean {
  const [arriving, setArriving] = useState(false);
  useEffect(() => {
    const pc = peer as unknown as RTCPeerConnection | undefined;
    if (!enabled || typeof pc?.getStats !== 'function') { setArriving(false); return; }
    let last = 0;
    let stopped = false;
    const timer = setInterval(() => void pc.getStats().then((report) => {
      if (stopped) return;
      const now = framesDecoded(report.values() as Iterable<{ type: string; kind?: string; framesDecoded?: number }>);
      setArriving(now > last);
      last = now;
    }, () => undefined), VIDEO_POLL_MS);
    return () => { stopped = true; clearInterval(timer); };
  }, [peer, enabled]);
  return arriving;
}
