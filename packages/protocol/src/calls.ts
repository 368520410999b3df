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
