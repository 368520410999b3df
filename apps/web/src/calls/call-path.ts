import { useEffect, useState } from 'react';
import type { CallPeer } from '@parley/client';

/** Which way a call's media goes (R65): straight to the other side, or through the TURN relay over UDP, TCP or TLS. */
export type CallPath = 'direct' | 'relay-udp' | 'relay-tcp' | 'relay-tls';

/** Only what is read of getStats' entries. */
type StatsEntry = { id: string; type: string; selectedCandidatePairId?: string; localCandidateId?: string; candidateType?: string; relayProtocol?: string; nominated?: boolean; state?: string };

/** From getStats: the transport's selected candidate pair, its local candidate's type and relay protocol. */
export function pathFromStats(entries: Iterable<StatsEntry>): CallPath | undefined {
  const all = new Map<string, StatsEntry>();
  for (const e of entries) all.set(e.id, e);
  const transport = [...all.values()].find((e) => e.type === 'transport' && e.selectedCandidatePairId);
  const pair = transport?.selectedCandidatePairId !== undefined ? all.get(transport.selectedCandidatePairId) : undefined;
  const local = pair?.localCandidateId !== undefined ? all.get(pair.localCandidateId) : undefined;
  if (!local?.candidateType) return undefined;
  if (local.candidateType !== 'relay') return 'direct';
  return local.relayProtocol === 'tls' ? 'relay-tls' : local.relayProtocol === 'tcp' ? 'relay-tcp' : 'relay-udp';
}

/** How often the call bar re-reads the path (ICE may switch paths during a call). */
const PATH_POLL_MS = 2000;

/** The path of the call on `peer` (the browser's RTCPeerConnection), re-read while the call is active. */
export function useCallPath(peer: CallPeer | undefined, active: boolean): CallPath | undefined {
  const [path, setPath] = useState<CallPath | undefined>();
  useEffect(() => {
    const pc = peer as unknown as RTCPeerConnection | undefined;
    if (!active || typeof pc?.getStats !== 'function') { setPath(undefined); return; }
    let stopped = false;
    const read = () => pc.getStats().then((report) => {
      if (!stopped) setPath(pathFromStats(report.values() as Iterable<StatsEntry>));
    }, () => undefined);
    void read();
    const timer = setInterval(read, PATH_POLL_MS);
    return () => { stopped = true; clearInterval(timer); };
  }, [peer, active]);
  return path;
}
