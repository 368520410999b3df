import type { Page } from 'playwright-core';
import type { IceServer } from '@parley/protocol';

/** In a page: two peers, relay candidates only, a data channel message across; what each side gathered and used. */
export async function relayOnly(page: Page, iceServers: IceServer[]): Promise<{ message: string; candidates: string[]; relayProtocols: string[] }> {
  return page.evaluate(async (servers) => {
    const config: RTCConfiguration = { iceServers: servers, iceTransportPolicy: 'relay' };
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    const candidates: string[] = [];
    a.onicecandidate = (e) => { if (e.candidate) { candidates.push(e.candidate.candidate); void b.addIceCandidate(e.candidate); } };
    b.onicecandidate = (e) => { if (e.candidate) void a.addIceCandidate(e.candidate); };
    const channel = a.createDataChannel('hello');
    const got = new Promise<string>((resolve) => { b.ondatachannel = (e) => { e.channel.onmessage = (m) => resolve(String(m.data)); }; });
    channel.onopen = () => channel.send('hello through the relay');
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
    const message = await Promise.race([got, new Promise<string>((r) => setTimeout(() => r('(nothing arrived)'), 8000))]);
    const relayProtocols: string[] = [];
    const stats = await a.getStats();
    stats.forEach((s: { type: string; state?: string; nominated?: boolean; localCandidateId?: string }) => {
      if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.localCandidateId) {
        const local = stats.get(s.localCandidateId) as { candidateType?: string; relayProtocol?: string } | undefined;
        relayProtocols.push(`${local?.candidateType}/${local?.relayProtocol}`);
      }
    });
    a.close();
    b.close();
    return { message, candidates, relayProtocols };
  }, iceServers);
}

