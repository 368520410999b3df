import type { CallEpochKey } from '@parley/client';

export type FrameSide = 'send' | 'receive';

/** What the worker needs of an RTCEncodedAudioFrame or RTCEncodedVideoFrame. */
export interface EncodedFrame {
  data: ArrayBuffer;
  /** Video only: 'key', 'delta' or 'empty'. */
  readonly type?: string;
  getMetadata(): { mimeType?: string; rtpTimestamp?: number };
}

/** Worker → page, once a second while frames flow: how many went out encrypted, came in and decrypted, came in and were refused. */
export interface FrameStats { sent: number; decrypted: number; refused: number }

/** Page → worker. */
export type FrameCryptoMessage =
  | { type: 'epoch'; key: CallEpochKey }
  /** R165: earlier frames each sent RED audio packet carries (1: the browser's own RED). */
  | { type: 'redDepth'; depth: number }
  | { type: 'streams'; side: FrameSide; readable: ReadableStream<EncodedFrame>; writable: WritableStream<EncodedFrame> }
  | { type: 'close' };

/**
 * Bytes at the start of a frame left in the clear (and authenticated as SFrame metadata), R64.
 * VP8: the payload header (RFC 6386 §9.1: 3 bytes, 10 on a key frame with its start code and size),
 * which the sender's packetizer and an SFU read to find key frames and picture sizes — what Jitsi's
 * and LiveKit's encrypted calls leave too. Opus and every other codec: nothing, the whole frame is
 * encrypted as RFC 9605 does it (an SFU routes audio by RTP headers and the audio-level extension).
 */
export function clearPrefix(frame: EncodedFrame): number {
  if (frame.type === undefined) return 0; // audio
  const mime = frame.getMetadata().mimeType?.toLowerCase();
  if (mime === 'video/vp8') return frame.type === 'key' ? 10 : 3;
  return 0;
}
