import type { JoinRequestStatus } from '@parley/protocol';

/** R100: a request to join a community, made through an invite link that needs approval. */
export interface JoinRequestRow {
  requestId: string;
  communityId: string;
  userId: string;
  /** The link it was made through (an approval takes one of its uses). */
  inviteToken: string;
  /** '' when none. */
  note: string;
  status: JoinRequestStatus;
  createdAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
}

/**
 * Where join requests live (R100-R101), beside the communities they ask into. SQLite and PostgreSQL
 * implement it and pass one suite (`join-request-storage.suite.ts`). Every write resolves after its commit.
 */
export interface JoinRequestStorage {
  /**
   * Adds a pending request, in one transaction: when the person already has a pending one in that
   * community it is returned and nothing is written (asking twice is asking once); when the community
   * has `maxPending` pending requests it throws ParleyError('join_requests_full').
   */
  addJoinRequest(request: JoinRequestRow, opts: { maxPending: number }): Promise<JoinRequestRow>;
  getJoinRequest(requestId: string): Promise<JoinRequestRow | undefined>;
  /** A community's pending requests, oldest first. */
  listPendingJoinRequests(communityId: string, limit: number): Promise<JoinRequestRow[]>;
  /** A person's own requests (any status), newest first. */
  listJoinRequestsOfUser(userId: string, limit: number): Promise<JoinRequestRow[]>;
  /**
   * Closes a pending request (approved, declined, cancelled) in one statement: false when it was not
   * pending any more (two admins at once: one decides). An approval takes one use of its invite link
   * in the same transaction (the link counts whom it let in; an admin's approval stands even when it is used up).
   */
  closeJoinRequest(requestId: string, status: Exclude<JoinRequestStatus, 'pending'>, by: string, at: number): Promise<boolean>;
  /** Undoes an approval that could not be carried out (the community full, the person in too many): pending again, the use given back. */
  reopenJoinRequest(requestId: string): Promise<void>;
}
