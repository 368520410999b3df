import { z } from 'zod';
import { Handle, Id } from './common.ts';

/**
 * R100-R101: asking to join a community through an invite link that needs an admin's approval.
 * The note is a short plain text from someone who is not a member yet (they hold none of the
 * community's keys), so the server keeps it as it is: admins read it next to the request.
 */

/** The schema's bound on a note; the server's own, PARLEY_MAX_JOIN_NOTE_CHARS, may be lower. */
export const MAX_JOIN_NOTE_SCHEMA = 1000;

export const JoinRequestStatus = z.enum(['pending', 'approved', 'declined', 'cancelled']);
export type JoinRequestStatus = z.infer<typeof JoinRequestStatus>;

export const CommunityJoinRequest = z.object({
  requestId: Id,
  communityId: Id,
  /** Who asks. */
  userId: Id,
  displayName: z.string(),
  handle: Handle.optional(),
  /** '' when none was written. */
  note: z.string(),
  status: JoinRequestStatus,
  createdAt: z.number().int(),
  /** The admin who approved or declined it. */
  decidedBy: Id.optional(),
  decidedAt: z.number().int().optional(),
});
export type CommunityJoinRequest = z.infer<typeof CommunityJoinRequest>;

/** POST /community-invites/:token/requests */
export const CreateJoinRequestRequest = z.object({ note: z.string().trim().max(MAX_JOIN_NOTE_SCHEMA).optional() });
export type CreateJoinRequestRequest = z.infer<typeof CreateJoinRequestRequest>;

export const JoinRequestResponse = z.object({ request: CommunityJoinRequest });
export const JoinRequestsResponse = z.object({ requests: z.array(CommunityJoinRequest) });
