import { AUDIO_RESILIENCE, RedDepthPolicy } from '@parley/client';

/** R165: how often the call's audio loss is read (getStats), and the one policy for the page's call (a group call has two peers). */
const LOSS_EVERY_MS = 2000;
const redPolicy = new RedDepthPolicy(AUDIO_RESILIENCE.redDepth ?? 1);
let redDepth = 1;
const redListeners = new Set<(depth: number) => void>();

/** The share of audio packets lost since `last` in either direction: this peer's receivers, and the other ends' reports of its senders. */
async function audioLoss(peer: RTCPeerConnection, last: Map<string, number>): Promise<number> {
  const now = new Map<string, number>();
  const add = (k: string, v: unknown) => now.set(k, (now.get(k) ?? 0) + (typeof v === 'number' ? v : 0));
  (await peer.getStats()).forEach((s: Record<string, unknown>) => {
    if (s['kind'] !== 'audio') return;
    if (s['type'] === 'inbound-rtp') { add('inLost', s['packetsLost']); add('inGot', s['packetsReceived']); }
    if (s['type'] === 'remote-inbound-rtp') add('outLost', s['packetsLost']);
    if (s['type'] === 'outbound-rtp') add('outSent', s['packetsSent']);
  });
  const d = (k: string) => Math.max(0, (now.get(k) ?? 0) - (last.get(k) ?? 0));
  const inShare = d('inLost') > 0 ? d('inLost') / (d('inLost') + d('inGot')) : 0;
  const outShare = d('outLost') > 0 && d('outSent') > 0 ? d('outLost') / d('outSent') : 0;
  for (const [k, v] of now) last.set(k, v);
  return Math.max(inShare, outShare);
}

/**
 * Reads `peer`'s audio loss every LOSS_EVERY_MS and tells `send` the RED depth its frame worker
 * should use (the page's one policy: a group call's two peers feed it together); returns the stop.
 */
export function watchAudioLoss(peer: RTCPeerConnection, send: (depth: number) => void): () => void {
  redListeners.add(send);
  if (redDepth !== 1) send(redDepth);
  const seen = new Map<string, number>();
  const timer = setInterval(() => {
    void audioLoss(peer, seen).then((share) => {
      const depth = redPolicy.update(Date.now(), share);
      document.documentElement.dataset['redLoss'] = share.toFixed(3); // the call's last loss reading (tests, devtools)
      if (depth === redDepth) return;
      redDepth = depth;
      document.documentElement.dataset['redDepth'] = String(depth);
      for (const l of redListeners) l(depth);
    }, () => undefined);
  }, LOSS_EVERY_MS);
  return () => {
    clearInterval(timer);
    redListeners.delete(send);
  };
}
