import { z } from 'zod';
import { Id } from './common.ts';

/**
 * Calls (R60-): what the server hands out so a call's media can flow where a direct path can't.
 * Media and its keys never pass through the Parley server.
 */

/** POST /calls/turn — TURN credentials for a call in `chatId` (members only). */
export const TurnCredentialsRequest = z.object({ chatId: Id }).strict();
export type TurnCredentialsRequest = z.infer<typeof TurnCredentialsRequest>;

/** An RTCIceServer as RTCPeerConnection takes it. */
export const IceServer = z.object({
  urls: z.array(z.string()).min(1),
  username: z.string(),
  credential: z.string(),
});
export type IceServer = z.infer<typeof IceServer>;

/** R60: time-limited TURN credentials (the TURN REST API's shared-secret scheme). */
export const TurnCredentials = z.object({
  iceServers: z.array(IceServer),
  /** When the credentials stop working for new allocations and refreshes (ms since the epoch). */
  expiresAt: z.number().int(),
});
export type TurnCredentials = z.infer<typeof TurnCredentials>;

/** POST /calls/room — R62: a token to join the group chat `chatId`'s call room on the SFU (members only). */
export const GroupCallRoomRequest = z.object({ chatId: Id }).strict();
export type GroupCallRoomRequest = z.infer<typeof GroupCallRoomRequest>;

/**
 * R62: where and how a member's device joins its group chat's call: the SFU's public URL (Janus),
 * the VideoRoom room, a token Janus accepts for this device in this room only, and the publisher id
 * the device must join with (any other id is kicked). Ask again before `expiresAt` to keep a
 * running call's Janus session alive (use the new token from then on).
 */
export const GroupCallRoom = z.object({
  url: z.string(),
  room: z.number().int().positive(),
  token: z.string(),
  feedId: z.number().int().positive(),
  /** TURN servers (R60) where the operator configured them, else empty. */
  iceServers: z.array(IceServer),
  expiresAt: z.number().int(),
});
export type GroupCallRoom = z.infer<typeof GroupCallRoom>;

/**
 * POST /calls/ring — R118: the caller's device posted a ringing offer (R61) in the direct chat
 * `chatId`; the server wakes the other person's devices that asked to ring (PUT /push/call-ringing)
 * and have no live connection, with a Web Push that carries no name and no content.
 */
export const CallRingRequest = z.object({ chatId: Id }).strict();
export type CallRingRequest = z.infer<typeof CallRingRequest>;

/**
 * R118: the whole payload of a call's Web Push, encrypted to the device (RFC 8291): which chat to
 * open (an id only the device can turn into a name) and until when it rings (ms since the epoch).
 * No caller name, no call id, no media, no SDP. R134: `group` 1 for a group chat's call (R124), 0 for a
 * direct chat's, so the device can say which without a page to ask (the same length either way).
 */
export const CallPushPayload = z.object({ type: z.literal('incoming_call'), v: z.literal(1), chatId: Id, until: z.number().int(), group: z.union([z.literal(0), z.literal(1)]) }).strict();
export type CallPushPayload = z.infer<typeof CallPushPayload>;
