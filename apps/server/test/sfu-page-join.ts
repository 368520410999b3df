/**
 * Runs in a Chromium page (bundled by sfu-pages.ts as window.ParleyCalls): the SDK's GroupCall with
 * the page's fake camera and microphone, what the SFU browser tests share. Not a Node module.
 */
import type { GroupCallRoom } from '@parley/protocol';
import { GroupCall, type GroupCallView } from '../../../packages/client/src/calls/group-call.ts';
import type { CallPeer } from '../../../packages/client/src/calls/calls.ts';
import type { FrameKeySink } from '../../../packages/client/src/calls/call-keys.ts';
import { simulcastEncodings } from '../../../packages/client/src/calls/simulcast.ts';

// The bundle (sfu-pages.ts) exports the web client's attachFrameCrypto beside these (it needs the web's build types).
export { GroupCall, simulcastEncodings };

export interface PageJoin {
  chatId: string;
  grant: GroupCallRoom;
  /** The fake camera's size. */
  width: number;
  height: number;
  /** Publishes the fake camera (default); false: the microphone only (bench/sfu-media.ts's large calls). */
  video?: boolean;
  /** The fake camera's frame rate (default Chromium's, 30). */
  fps?: number;
  /** R123: the camera in simulcast layers (`simulcastEncodings(width)`). */
  simulcast?: boolean;
  /**
   * R76/R120: frames through the web client's frame crypto, keyed by one fixed test exporter key
   * (a chat's MLS exporter in the app) and the call secret, whose entries go through the test's
   * shared log (window.__post, sfu-pages.ts `PageLog`). `leafIndex` is this device's sender index.
   */
  encrypted?: { leafIndex: number; leafCount: number };
  /**
   * R123 tests: the publisher's bandwidth estimate held at or above this many kbit/s (and started
   * there), by `x-google-min-bitrate` / `-start-bitrate` on VP8 in Janus's answer. A test's loopback
   * never congests, but on a loaded machine Chromium reads CPU starvation as queueing delay and
   * lowers its estimate until it stops sending the upper simulcast layers; with a floor above the
   * layers' sum every layer keeps coming, and which one a receiver gets is Janus's choice alone.
   */
  bitrateFloorKbps?: number;
}

/** `sdp` with `x-google-min-bitrate` and `-start-bitrate` of `kbps` on each VP8 payload type. */
export function withBitrateFloor(sdp: string, kbps: number): string {
  const params = `x-google-min-bitrate=${kbps};x-google-start-bitrate=${kbps}`;
  const vp8 = new Set([...sdp.matchAll(/^a=rtpmap:(\d+) VP8\/90000\r?$/gim)].map((m) => m[1]!));
  const withFmtp = new Set<string>();
  let out = sdp.replace(/^a=fmtp:(\d+) (.*?)(\r?)$/gm, (line, pt: string, rest: string, cr: string) => {
    if (!vp8.has(pt)) return line;
    withFmtp.add(pt);
    return `a=fmtp:${pt} ${rest};${params}${cr}`;
  });
  out = out.replace(/^a=rtpmap:(\d+) VP8\/90000(\r?)$/gim, (line, pt: string, cr: string) => (withFmtp.has(pt) ? line : `${line}\na=fmtp:${pt} ${params}${cr}`));
  return out;
}

interface PageGlobals {
  ParleyCalls: { attachFrameCrypto(peer: CallPeer): FrameKeySink };
  call?: GroupCall;
  /** Whether the call ever said it was reconnecting (R119). */
  reconnectingSeen: boolean;
  __post?: (content: unknown) => Promise<void>;
}

/** Joins the room (window.call, set as soon as the call exists) with fake media; plays what arrives. */
export async function joinWithFakeMedia(o: PageJoin): Promise<void> {
  const w = window as unknown as PageGlobals;
  w.reconnectingSeen = false;
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: o.video === false ? false : { width: o.width, height: o.height, ...(o.fps ? { frameRate: o.fps } : {}) } });
  const enc = o.encrypted;
  await GroupCall.join({
    chatId: o.chatId, room: async () => o.grant, peer: (config) => new RTCPeerConnection(config as RTCConfiguration) as unknown as CallPeer,
    onChange: (view: GroupCallView) => { if (view.reconnectingSince !== undefined) w.reconnectingSeen = true; },
    created: (call) => { w.call = call; },
    ...(enc ? {
      keys: async () => ({ epoch: 1n, leafIndex: enc.leafIndex, leafCount: enc.leafCount, baseKey: new Uint8Array(16).fill(7) }),
      post: (content: unknown) => w.__post!(content), secretSettleMs: 100,
    } : {}),
  }, {
    ...(enc ? { frameCrypto: (peer: CallPeer) => w.ParleyCalls.attachFrameCrypto(peer) } : {}),
    prepare: (peerLike, role) => {
      const peer = peerLike as unknown as RTCPeerConnection;
      if (role === 'publisher') {
        const floor = o.bitrateFloorKbps;
        if (floor !== undefined) {
          const set = peer.setRemoteDescription.bind(peer);
          peer.setRemoteDescription = (d: RTCSessionDescriptionInit) => set(d.type === 'answer' && d.sdp ? { type: 'answer', sdp: withBitrateFloor(d.sdp, floor) } : d);
        }
        for (const track of stream.getAudioTracks()) peer.addTrack(track, stream);
        for (const track of stream.getVideoTracks()) {
          if (o.simulcast) peer.addTransceiver(track, { direction: 'sendonly', streams: [stream], sendEncodings: simulcastEncodings(o.width) });
          else peer.addTrack(track, stream);
        }
      } else {
        // A playing sink, or Chromium does not decode the audio it receives.
        peer.ontrack = (event) => {
          const el = document.createElement(event.track.kind === 'audio' ? 'audio' : 'video');
          el.autoplay = true;
          el.muted = event.track.kind === 'video';
          el.srcObject = new MediaStream([event.track]);
          document.body.append(el);
        };
      }
    },
  });
}
