import type { CallContent, GroupCallRoom } from '@parley/protocol';
import type { CallPeer, PeerFactory } from './calls.ts';
import type { CallKeySource, FrameCryptoFactory } from './call-keys.ts';
import type { GroupCall } from './group-call.ts';

/** The shapes of a group call (R62): its options, what it shows, and what it needs from the client. */

export interface GroupCallOptions {
  /**
   * Adds the local tracks to the publishing peer, or hooks the subscribing peer's `ontrack`; called
   * before any SDP is made on it. Without a peer factory (Node, no WebRTC) the device joins the
   * room as a participant without media.
   */
  prepare?: (peer: CallPeer, role: 'publisher' | 'subscriber') => void | Promise<void>;
  /**
   * R133: the mid of a shared screen's transceiver on the publishing peer, asked once its offer is
   * made (its mid known), so a publish labels it as a screen from the start (R119 publishing afresh
   * while a screen is shared: the others see the screen again, not a second camera).
   */
  screenMid?: (peer: CallPeer) => string | null | undefined;
  /** What media to publish (default both). */
  media?: { audio?: boolean; video?: boolean };
  /**
   * R76: end-to-end encryption of the media frames (SFrame with the chat's MLS keys), attached to
   * each peer before `prepare` (the publisher's encrypts, the subscriber's decrypts; it must cover
   * the senders `prepare` adds, as the web client's attachFrameCrypto does); every sink gets
   * each epoch's key. Default: the client's `calls.frameCrypto`. Without either, media is DTLS-SRTP
   * to the SFU only, which can read it.
   */
  frameCrypto?: FrameCryptoFactory;
}

export interface GroupParticipant {
  /** The publisher id the Parley server gave that device for this room (R62). */
  feedId: number;
  /** Whether it sends media now. */
  publishing: boolean;
  /** R135: what its seat in Janus names as its join key (`display`, `seatTag(pub)`); absent for a device without frame crypto. */
  seat?: string;
}

export type GroupCallState = 'joined' | 'left';

/** One media stream the subscriber peer carries: its transceiver's mid, whose feed it is, and its kind. */
export interface GroupStream {
  mid: string;
  feedId: number;
  kind: 'audio' | 'video';
  /** The publisher's mid for this stream. */
  feedMid?: string;
  /** R133: the publisher's shared screen (not its camera). */
  screen?: true;
}

export interface GroupCallView {
  chatId: string;
  room: number;
  /** This device's publisher id. */
  feedId: number;
  state: GroupCallState;
  /** The other participants. */
  participants: GroupParticipant[];
  /** Which of the subscriber peer's transceivers (by mid) carries which participant's audio or video (from Janus). */
  streams: GroupStream[];
  /** R133: the other participants sharing a screen now (publisher ids). */
  presenting: number[];
  /** Why the call ended for this device: `left` (it hung up), `kicked`, or what Janus said. */
  endReason?: string;
  publisher?: CallPeer;
  subscriber?: CallPeer;
  /** R76: the MLS epoch whose key encrypts this call's media frames now (absent: no frame key yet, or no frame encryption). */
  frameEpoch?: number;
  /** R124: this device found the room empty: it started the call (its join asked the others to ring). */
  started?: boolean;
  /** R119: since when a peer of this call (publisher or subscriber) has had no media path; absent while media flows. */
  reconnectingSince?: number;
}

export interface GroupCallDeps {
  chatId: string;
  /** R62: asks the Parley server for the room and a fresh token (POST /calls/room). */
  room(): Promise<GroupCallRoom>;
  /** R63: puts a `call` entry in the chat's log (end-to-end encrypted): this device joined or left. */
  post?: (content: CallContent) => Promise<unknown>;
  peer?: PeerFactory | undefined;
  relayOnly?: boolean | undefined;
  onChange?: (view: GroupCallView) => void;
  fetch?: typeof fetch;
  /** R76: the chat's epoch keys for call media (the MLS exporter); needed when frames are encrypted. */
  keys?: CallKeySource | undefined;
  onError?: ((error: unknown) => void) | undefined;
  /** R120 timing (tests): how long the keyer waits for the room to settle. */
  secretSettleMs?: number | undefined;
  /** The call exists (before it joins): log entries reach it from now on (its own join among them). */
  created?: (call: GroupCall) => void;
  /** R119: how long a peer may stay without a media path before the call ends (CALL_RECONNECT_MS). */
  reconnectMs?: number | undefined;
}
